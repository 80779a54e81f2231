/** The session: the original menu and quitting. */
import type { Colors } from '../format.js';
import { group } from './shared.js';

/** The original BlockMiners menu, each item next to what does it here. */
export const MENU: readonly { item: number; label: string; command: string; method: string }[] = [
  {
    item: 1,
    label: 'Send message',
    command: '.send <target> <text>',
    method: 'await peer.send(target, text)',
  },
  { item: 2, label: 'Show active peers', command: '.peers', method: 'peer.active()' },
  {
    item: 3,
    label: 'Connect to an active peer',
    command: '.connect <addr>',
    method: 'await peer.connect(addr)',
  },
  { item: 4, label: 'Show connected peers', command: '.connected', method: 'peer.connected()' },
  {
    item: 5,
    label: 'Query a peer for its peers',
    command: '.query <target>',
    method: 'await peer.query(target)',
  },
  { item: 6, label: 'Chat with a connected peer', command: '.chat <target>', method: 'peer.chat(target)' },
  { item: 7, label: 'Show pending messages', command: '.pending', method: 'peer.pending()' },
  {
    item: 8,
    label: 'Connect to all active peers',
    command: '.connectall',
    method: 'await peer.connectAll()',
  },
  { item: 0, label: 'Quit', command: '.quit', method: 'await peer.quit()' },
];

export function formatMenu(c: Colors): string {
  const labelWidth = Math.max(...MENU.map((m) => `${m.item}. ${m.label}`.length));
  const commandWidth = Math.max(...MENU.map((m) => m.command.length));
  const lines = MENU.map(
    (m) =>
      `${`${m.item}. ${m.label}`.padEnd(labelWidth)}  ${c.cyan(m.command.padEnd(commandWidth))}  ${c.dim(m.method)}`,
  );
  return ['***** Menu *****', ...lines].join('\n');
}

export const sessionCommands = group(['quit', 'menu'], (g, io) => {
  const c = io.colors;
  return {
    quit: {
      help: 'Send EXIT to every connected peer and quit',
      async action() {
        await g.quit(0);
      },
    },
    menu: {
      help: "Show the original peer's menu and the command for each item",
      action() {
        io.print(formatMenu(c));
      },
    },
  };
});
