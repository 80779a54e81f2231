/** Dot-commands as data: `{ help, action }`, so `.help` documents them and tests call `action` directly. */

import { suggest } from '../config/suggest.js';
import type { Warning } from '../errors.js';
import { PeerchatError } from '../errors.js';
import type { ChatMessage } from '../types.js';
import { type ArgsSpec, type OptionSpec, parseCommandArgs, positiveInt } from './args.js';
import {
  type Colors,
  formatContacts,
  formatMessage,
  formatPeerTable,
  formatText,
  formatWhois,
  plural,
  sanitize,
} from './format.js';
import type { PeerGlobal } from './global.js';
import { ROOM_COMMANDS, roomCommands } from './room-commands.js';

/** A dot-command. `action` gets the text after the command name (trimmed) and resolves to data. */
export interface ReplCommand {
  help: string;
  action(args: string): unknown;
}

/** Node's repl defines these itself; nothing may replace them. */
export const REPL_BUILTINS: readonly string[] = ['break', 'clear', 'editor', 'exit', 'help', 'load', 'save'];

/** peerchat's own dot-commands. */
export const BUILTIN_COMMANDS: readonly string[] = [
  'send',
  'peers',
  'connect',
  'connected',
  'query',
  'chat',
  'pending',
  'connectall',
  'quit',
  'menu',
  'history',
  'outbox',
  'retry',
  'drop',
  'join',
  'leave',
  'rooms',
  'contacts',
  'whois',
  'trust',
  ...ROOM_COMMANDS,
];

/** Every name a plugin command may not take (pass to the plugin host as reservedCommands). */
export const RESERVED_COMMANDS: readonly string[] = [...BUILTIN_COMMANDS, ...REPL_BUILTINS];

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

export interface CommandIo {
  /** Human output (stdout, or stderr in --json mode). */
  print(text: string): void;
  colors: Colors;
}

const HISTORY_LIMIT = 20; // rows `.history` shows when no limit is given

/** `.history [target] [limit] [--search text] [--limit n]` */
export const HISTORY_ARGS: ArgsSpec = {
  usage: '.history [target] [limit] [--search text] [--limit n]',
  options: {
    search: { type: 'string', describe: 'only messages whose text contains this' },
    limit: { type: 'string', describe: 'the newest N messages' },
  },
  maxPositionals: 2,
};

/** Options of each built-in dot-command (for completion). */
export const COMMAND_OPTIONS: Readonly<Record<string, Record<string, OptionSpec>>> = {
  history: HISTORY_ARGS.options ?? {},
};

/** The words of a command that takes exactly `max` (or fewer) of them; `need` are required. */
function words(args: string, usageText: string, need: number, max = need): string[] {
  const { positionals } = parseCommandArgs(args, { usage: usageText, maxPositionals: max });
  if (positionals.length < need) throw usage(usageText);
  return positionals;
}

function usage(text: string): PeerchatError {
  return new PeerchatError('ERR_USAGE', `usage: ${text}`);
}

/** ".send alice hi there" -> { name: 'send', args: 'alice hi there' }; null when not a dot-command. */
export function parseCommandLine(line: string): { name: string; args: string } | null {
  const m = /^\s*\.([A-Za-z][\w-]*)(?:\s+([\s\S]*))?$/.exec(line);
  if (!m) return null;
  return { name: m[1] ?? '', args: (m[2] ?? '').trim() };
}

/** `.sned is not a command (did you mean .send?); .help lists them` */
export function unknownCommandMessage(name: string, known: readonly string[]): string {
  const hint = suggest(name, known);
  return `.${name} is not a command${hint ? ` (did you mean .${hint}?)` : ''}; .help lists them`;
}

/** Told after a SyntaxError from a line that reads like prose, not code. */
export const SEND_HINT = 'to send text as a message: .send <target> <text>, or .chat <target> for chat mode';

/** Words and sentence punctuation only (`hello there`, `ok, see you!`): someone meant to chat. */
export function looksLikeText(line: string): boolean {
  const t = line.trim();
  return /\s/.test(t) && !/[(){}[\]=;`"+*/<>]/.test(t) && !t.startsWith('.');
}

/** First word and the rest: `alice hi  there` -> ['alice', 'hi  there']. */
function splitFirst(args: string): [string, string] {
  const m = /^(\S+)(?:\s([\s\S]*))?$/.exec(args.trim());
  return [m?.[1] ?? '', m?.[2] ?? ''];
}

export function formatMenu(c: Colors): string {
  const labelWidth = Math.max(...MENU.map((m) => `${m.item}. ${m.label}`.length));
  const commandWidth = Math.max(...MENU.map((m) => m.command.length));
  const lines = MENU.map(
    (m) =>
      `${`${m.item}. ${m.label}`.padEnd(labelWidth)}  ${c.cyan(m.command.padEnd(commandWidth))}  ${c.dim(m.method)}`,
  );
  return ['***** Menu *****', ...lines].join('\n');
}

/** Members the host adds to the `peer` global when it has a store and rooms (see runPeer). */
/** The history, outbox and room members: the peer's own, or what the host supplied through `extra`. */
type Extras = Pick<PeerGlobal, 'history' | 'outbox' | 'retry' | 'drop' | 'join' | 'leave' | 'rooms'>;
type RoomLine = ReturnType<PeerGlobal['rooms']>[number];

function extra<K extends keyof Extras>(g: PeerGlobal, name: K): Extras[K] {
  const fn = (g as unknown as Partial<Extras>)[name];
  if (typeof fn !== 'function')
    throw new PeerchatError('ERR_USAGE', `.${name} is not available in this peer`);
  return fn as Extras[K];
}

function formatRooms(rooms: RoomLine[], c: Colors): string {
  if (rooms.length === 0) return c.dim('no rooms joined');
  return rooms.map((r) => `${r.name}${r.secret ? ' (secret)' : ''}  ${plural(r.peers, 'peer')}`).join('\n');
}

function formatStored(rows: Array<ChatMessage & { state?: string }>, c: Colors, empty: string): string {
  if (rows.length === 0) return c.dim(empty);
  return rows
    .map(
      (m) =>
        `${formatMessage(m, c)}${m.direction === 'out' && m.state ? c.dim(` (${m.state}, ${m.id})`) : ''}`,
    )
    .join('\n');
}

/** `connected to 2 peers, 1 failed (see the warnings); already connected to 3` */
export function connectAllSummary(
  n: { tried: number; connected: number; already: number },
  c: Colors,
): string {
  if (n.tried === 0 && n.already === 0) return c.dim('no peers known yet: .peers lists the discovered ones');
  const parts: string[] = [];
  if (n.tried > 0) {
    const failed = n.tried - n.connected;
    parts.push(`${c.green('connected')} to ${plural(n.connected, 'peer')}`);
    if (failed > 0) parts.push(c.red(`${failed} failed (see the warnings)`));
  }
  if (n.already > 0) parts.push(`already connected to ${plural(n.already, 'peer')}`);
  return parts.join(', ');
}

/** The built-in dot-commands over the `peer` global. */
export function builtinCommands(g: PeerGlobal, io: CommandIo): Record<string, ReplCommand> {
  const c = io.colors;
  return {
    ...roomCommands(g, io),
    history: {
      help: `Show stored messages: ${HISTORY_ARGS.usage} (the last ${HISTORY_LIMIT})`,
      action(args) {
        const { values, positionals } = parseCommandArgs(args, HISTORY_ARGS);
        let [target, count] = positionals;
        // `.history 5`: a number alone is the limit
        if (count === undefined && target !== undefined && /^\d+$/.test(target))
          [target, count] = [undefined, target];
        if (count !== undefined && values.limit !== undefined)
          throw usage(`${HISTORY_ARGS.usage} (the limit given twice)`);
        const limitText = (values.limit as string | undefined) ?? count;
        const limit = limitText === undefined ? HISTORY_LIMIT : positiveInt(limitText, 'the limit');
        const search = values.search as string | undefined;
        const rows = extra(g, 'history')(target, search === undefined ? { limit } : { limit, search });
        io.print(
          formatStored(
            rows,
            c,
            search === undefined ? 'no messages stored' : `no stored messages contain "${sanitize(search)}"`,
          ),
        );
        return rows;
      },
    },
    outbox: {
      help: 'Show messages waiting for delivery (.retry <id>, .drop <id>)',
      action() {
        const rows = extra(g, 'outbox')();
        io.print(formatStored(rows, c, 'the outbox is empty'));
        return rows;
      },
    },
    retry: {
      help: 'Send a queued or failed message again now (dials its peer if away): .retry <id>',
      async action(args) {
        const [id = ''] = words(args, '.retry <id>', 1);
        const row = await extra(g, 'retry')(id);
        io.print(`${c.green(row.state === 'failed' ? 'queued' : 'retrying')} ${id}`);
        return row;
      },
    },
    drop: {
      help: 'Remove a message from the outbox: .drop <id>',
      async action(args) {
        const [id = ''] = words(args, '.drop <id>', 1);
        const done = await extra(g, 'drop')(id);
        io.print(done ? `dropped ${id}` : c.dim(`no message ${id} in the outbox`));
        return done;
      },
    },
    join: {
      help: 'Join a DHT room: .join <room> [secret]',
      async action(args) {
        const [room = '', secret] = words(args, '.join <room> [secret]', 1, 2);
        const rooms = await extra(g, 'join')(room, secret ? { secret } : {});
        io.print(`${c.green('joined')} ${room}`);
        return rooms;
      },
    },
    leave: {
      help: 'Leave a DHT room: .leave <room>',
      async action(args) {
        const [room = ''] = words(args, '.leave <room>', 1);
        const rooms = await extra(g, 'leave')(room);
        io.print(`left ${room}`);
        return rooms;
      },
    },
    rooms: {
      help: 'Show the rooms joined',
      action() {
        const rooms = extra(g, 'rooms')();
        io.print(formatRooms(rooms, c));
        return rooms;
      },
    },
    send: {
      help: 'Send a message: .send <target> <text>  (target: "ip:port" or a peer name)',
      async action(args) {
        const [target, text] = splitFirst(args);
        if (!target || !text) throw usage('.send <target> <text>');
        const result = await g.send(target, text);
        if (result.state === 'failed')
          io.print(c.red(`not sent to ${result.to}: ${result.error ?? 'failed'}`));
        else io.print(`${c.green(result.state)} to ${result.to} (${result.protocol})`);
        return result;
      },
    },
    contacts: {
      help: 'Show the contact book: every peer met, with its last address and when it was seen',
      action() {
        const list = g.contacts();
        io.print(list.length ? formatContacts(list, c) : c.dim('no contacts yet (or no store)'));
        return list;
      },
    },
    whois: {
      help: 'Show what is known about a peer: .whois <name | ip:port | fingerprint prefix>',
      action(args) {
        const [target = ''] = words(args, '.whois <target>', 1);
        const list = g.contacts(target);
        io.print(
          list.length
            ? list.map((k) => formatWhois(k, c)).join('\n')
            : c.dim(`no contact matches "${sanitize(target)}"`),
        );
        return list;
      },
    },
    trust: {
      help: 'Accept a (changed) key for an address: .trust <ip:port> <hex key>',
      action(args) {
        const [address = '', key = ''] = words(args, '.trust <ip:port> <hex key>', 2);
        g.trust(address, key);
        io.print(`${c.green('trusted')} ${key.slice(0, 16)}… for ${address}`);
      },
    },
    peers: {
      help: 'Show active (discovered) peers',
      action() {
        const peers = g.active();
        io.print(peers.length ? formatPeerTable(peers, c) : c.dim('no peers discovered yet'));
        return peers;
      },
    },
    connect: {
      help: 'Connect to a peer: .connect <ip:port | contact name>',
      async action(args) {
        const [address = ''] = words(args, '.connect <ip:port | name>', 1);
        const info = await g.connect(address);
        io.print(
          `${c.green('connected')} to ${sanitize(info.name ?? '?')} ${info.address} (${info.protocol ?? '?'})`,
        );
        return info;
      },
    },
    connected: {
      help: 'Show connected peers',
      action() {
        const peers = g.connected();
        io.print(peers.length ? formatPeerTable(peers, c) : c.dim('no connected peers'));
        return peers;
      },
    },
    query: {
      help: 'Ask a peer for its peers: .query <target>',
      async action(args) {
        const [target = ''] = words(args, '.query <target>', 1);
        const keys = await g.query(target);
        io.print(
          keys.length ? `${plural(keys.length, 'peer')}: ${keys.join(', ')}` : c.dim('no peers learned'),
        );
        return keys;
      },
    },
    chat: {
      help: 'Chat with a peer: .chat <target>  (each line is sent; .exit or Ctrl-D leaves)',
      async action(args) {
        const [target = ''] = words(args, '.chat <target>', 1);
        await g.chat(target);
      },
    },
    pending: {
      help: 'Show (and clear) the messages held back during chat mode',
      action() {
        const msgs = g.pending();
        io.print(
          msgs.length ? msgs.map((m) => formatMessage(m, c)).join('\n') : c.dim('no pending messages'),
        );
        return msgs;
      },
    },
    connectall: {
      help: 'Connect to all active peers',
      async action() {
        const known = g.active();
        const already = known.filter((p) => p.connected).length;
        const tried = known.length - already;
        const peers = await g.connectAll();
        io.print(connectAllSummary({ tried, connected: peers.length, already }, c));
        return peers;
      },
    },
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
}

/**
 * Built-ins plus plugin commands. A plugin command that clashes with a built-in or a repl
 * command is skipped with a warning rather than replacing it.
 */
export function buildCommands(
  g: PeerGlobal,
  io: CommandIo,
  plugin: ReadonlyMap<string, ReplCommand> = new Map(),
  onWarning: (w: Warning) => void = () => {},
): Map<string, ReplCommand> {
  const all = new Map<string, ReplCommand>(Object.entries(builtinCommands(g, io)));
  for (const [rawName, cmd] of plugin) {
    const name = rawName.replace(/^\./, '');
    if (all.has(name) || REPL_BUILTINS.includes(name)) {
      onWarning({
        code: 'ERR_PLUGIN_COMMAND_CLASH',
        message: `plugin command .${name} clashes with a built-in one`,
      });
      continue;
    }
    if (!/^[A-Za-z][\w-]*$/.test(name) || typeof cmd?.action !== 'function') {
      onWarning({ code: 'ERR_PLUGIN_LOAD', message: `plugin command ${JSON.stringify(rawName)} is invalid` });
      continue;
    }
    all.set(name, {
      help: String(cmd.help ?? ''),
      // docs/plugins.md: a string result is printed (built-ins print their own text)
      async action(args) {
        const value = await cmd.action(args);
        if (typeof value === 'string' && value !== '') io.print(formatText(value, ''));
        return value;
      },
    });
  }
  return all;
}
