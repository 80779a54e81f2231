import t from 'tap';
import type { Warning } from '../../src/errors.js';
import {
  BUILTIN_COMMANDS,
  buildCommands,
  builtinCommands,
  MENU,
  parseCommandLine,
  RESERVED_COMMANDS,
} from '../../src/repl/commands.js';
import { createColors } from '../../src/repl/format.js';
import { createPeerGlobal } from '../../src/repl/global.js';
import { FakePeer, makeMessage } from './fake-peer.js';

function setup() {
  const peer = new FakePeer();
  const printed: string[] = [];
  const chats: string[] = [];
  let quits = 0;
  const g = createPeerGlobal(peer, {
    chat: (target) => {
      chats.push(target);
    },
    quit: async () => {
      quits++;
    },
  });
  const io = { print: (text: string) => printed.push(text), colors: createColors(false) };
  const commands = builtinCommands(g, io);
  return { peer, g, printed, chats, commands, quits: () => quits };
}

t.test('parseCommandLine', async (t) => {
  t.same(parseCommandLine('.send alice hi  there '), { name: 'send', args: 'alice hi  there' });
  t.same(parseCommandLine('  .peers'), { name: 'peers', args: '' });
  t.equal(parseCommandLine('peer.send()'), null);
  t.equal(parseCommandLine('...spread'), null);
  t.equal(parseCommandLine('.5 + 1'), null, 'a number is code, not a command');
});

t.test('every built-in has help text and an action', async (t) => {
  const { commands } = setup();
  t.same(Object.keys(commands).sort(), [...BUILTIN_COMMANDS].sort());
  for (const [name, cmd] of Object.entries(commands)) {
    t.ok(cmd.help.length > 10, `.${name} has help`);
    t.type(cmd.action, 'function');
  }
  for (const name of ['exit', 'help', ...BUILTIN_COMMANDS]) t.ok(RESERVED_COMMANDS.includes(name));
});

t.test('.send splits target and text, resolves to the result', async (t) => {
  const { peer, commands, printed } = setup();
  peer.addPeer({ address: '1.1.1.1:1', name: 'alice' });
  const result = await commands.send?.action('alice hello:  world');
  t.match(result, { to: '1.1.1.1:1', state: 'sent' });
  t.same(peer.calls, ['send alice hello:  world']);
  t.match(printed.at(-1), /sent to 1\.1\.1\.1:1/);
  // a quoted target, as the other commands take one; the text is kept as typed
  await commands.send?.action('"alice" "quoted" text');
  await commands.send?.action("'alice'  hi");
  t.same(peer.calls.slice(1), ['send alice "quoted" text', 'send alice  hi']);
  await t.rejects(async () => commands.send?.action('alice'), {
    code: 'ERR_USAGE',
    message: /\.send <target> <text>/,
  });
  await t.rejects(async () => commands.send?.action(''), { code: 'ERR_USAGE' });
  peer.sendImpl = async (p) => ({
    id: 'x',
    to: p.address,
    protocol: 'native',
    state: 'failed',
    error: 'ack timeout',
  });
  await commands.send?.action('alice again');
  t.match(printed.at(-1), /not sent to 1\.1\.1\.1:1: ack timeout/);
});

t.test('.peers, .connected, .connect, .connectall, .query', async (t) => {
  const { peer, commands, printed } = setup();
  t.same(await commands.peers?.action(''), []);
  t.match(printed.at(-1), /no peers discovered/);
  peer.addPeer({ address: '1.1.1.1:1', name: 'alice', connected: true });
  peer.addPeer({ address: '2.2.2.2:2', name: 'bob' });
  const all = (await commands.peers?.action('')) as unknown[];
  t.equal(all.length, 2);
  t.match(printed.at(-1), /1\.1\.1\.1:1 +alice +connected[\s\S]*\n2\.2\.2\.2:2 +bob +known/);
  t.match(await commands.connected?.action(''), [{ address: '1.1.1.1:1' }]);
  t.match(await commands.connect?.action('3.3.3.3:3'), { address: '3.3.3.3:3' });
  t.match(printed.at(-1), /connected to \? 3\.3\.3\.3:3/);
  await t.rejects(async () => commands.connect?.action(''), { code: 'ERR_USAGE' });
  t.match(await commands.connectall?.action(''), [{ address: '2.2.2.2:2' }]);
  t.equal(printed.at(-1), 'connected to 1 peer, already connected to 2 peers');
  t.same(await commands.query?.action('alice'), ['2.2.2.2:2', '3.3.3.3:3']);
  t.equal(printed.at(-1), '2 peers: 2.2.2.2:2, 3.3.3.3:3');
  await t.rejects(async () => commands.query?.action(''), { code: 'ERR_USAGE' });
});

t.test('.connectall counts and words what happened', async (t) => {
  const { peer, commands, printed } = setup();
  await commands.connectall?.action('');
  t.match(printed.at(-1), /^no peers known yet/);
  peer.addPeer({ address: '1.1.1.1:1', name: 'alice', connected: true });
  await commands.connectall?.action('');
  t.equal(printed.at(-1), 'already connected to 1 peer', 'not "connected to 0 peers"');
  peer.addPeer({ address: '2.2.2.2:2', name: 'bob', connected: true });
  await commands.connectall?.action('');
  t.equal(printed.at(-1), 'already connected to 2 peers');
  peer.addPeer({ address: '3.3.3.3:3' });
  peer.addPeer({ address: '4.4.4.4:4' });
  const real = peer.connectAll.bind(peer);
  peer.connectAll = async () => (await real()).slice(0, 1); // one of the two fails
  await commands.connectall?.action('');
  t.equal(printed.at(-1), 'connected to 1 peer, 1 failed (see the warnings), already connected to 2 peers');
  t.same(await commands.query?.action('alice'), ['2.2.2.2:2', '3.3.3.3:3', '4.4.4.4:4']);
  peer.peers.splice(2);
  t.same(await commands.query?.action('alice'), ['2.2.2.2:2']);
  t.equal(printed.at(-1), '1 peer: 2.2.2.2:2', 'not "1 peers"');
});

t.test('.chat, .pending, .quit', async (t) => {
  const { peer, commands, printed, chats, quits } = setup();
  await commands.chat?.action('alice');
  t.same(chats, ['alice']);
  await t.rejects(async () => commands.chat?.action(''), { code: 'ERR_USAGE' });
  t.same(await commands.pending?.action(''), []);
  t.match(printed.at(-1), /no pending messages/);
  peer.pendingQueue.push(makeMessage({ from: '1.1.1.1:1', name: 'alice', text: 'while away' }));
  t.match(await commands.pending?.action(''), [{ text: 'while away' }]);
  t.match(printed.at(-1), /1\.1\.1\.1:1 alice \(unverified\): while away/);
  await commands.quit?.action('');
  t.equal(quits(), 1);
});

t.test('.menu prints the original menu, each item next to a command that exists', async (t) => {
  const { commands, printed } = setup();
  await commands.menu?.action('');
  const text = printed.at(-1) ?? '';
  t.match(text, /^\*\*\*\*\* Menu \*\*\*\*\*\n1\. Send message +\.send <target> <text> +await peer\.send/);
  t.match(text, /\n0\. Quit +\.quit +await peer\.quit\(\)$/);
  t.same(
    MENU.map((m) => m.item),
    [1, 2, 3, 4, 5, 6, 7, 8, 0],
  );
  for (const item of MENU) {
    const name = item.command.slice(1).split(' ')[0] ?? '';
    t.ok(name in commands, `menu item ${item.item} maps to .${name}`);
    t.match(text, new RegExp(`${item.item}\\. ${item.label}`));
  }
});

t.test('plugin commands are added; clashes and invalid ones are skipped with a warning', async (t) => {
  const { g } = setup();
  const io = { print: () => {}, colors: createColors(false) };
  const warnings: Warning[] = [];
  const plugin = new Map([
    ['block', { help: 'Block a peer', action: (args: string) => `blocked ${args}` }],
    ['send', { help: 'hijack', action: () => 'hijack' }],
    ['exit', { help: 'hijack', action: () => 'hijack' }],
    ['bad name', { help: 'x', action: () => 'x' }],
  ]);
  const all = buildCommands(g, io, plugin, (w) => warnings.push(w));
  t.equal(await all.get('block')?.action('1.2.3.4:5'), 'blocked 1.2.3.4:5');
  t.not(all.get('send')?.help, 'hijack');
  t.notOk(all.has('exit'));
  t.same(
    warnings.map((w) => w.code),
    ['ERR_PLUGIN_COMMAND_CLASH', 'ERR_PLUGIN_COMMAND_CLASH', 'ERR_PLUGIN_LOAD'],
  );
});
