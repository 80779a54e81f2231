import { inspect } from 'node:util';
import t from 'tap';
import { isPeerchatError } from '../../src/errors.js';
import { CORE_MEMBERS, createPeerGlobal, PEER_EVENTS } from '../../src/repl/global.js';
import { FakePeer, makeMessage } from './fake-peer.js';

function setup() {
  const peer = new FakePeer();
  const log: string[] = [];
  const errors: unknown[] = [];
  const g = createPeerGlobal(peer, {
    chat: (target) => {
      log.push(`chat ${target}`);
    },
    quit: async (code) => {
      log.push(`quit ${code}`);
    },
    onListenerError: (err) => errors.push(err),
  });
  return { peer, g, log, errors };
}

t.test('properties are live getters over the peer', async (t) => {
  const { peer, g } = setup();
  t.equal(g.name, 'me');
  t.equal(g.address, '127.0.0.1:5000');
  t.equal(g.id, 'ab'.repeat(32));
  peer.port = 6001;
  peer.id = null;
  t.equal(g.port, 6001);
  t.equal(g.address, '127.0.0.1:6001');
  t.equal(g.id, null);
  t.equal(g.host, '127.0.0.1');
});

t.test('I/O methods return promises of data', async (t) => {
  const { peer, g } = setup();
  peer.addPeer({ address: '1.1.1.1:1', name: 'alice', connected: true });
  peer.addPeer({ address: '2.2.2.2:2', name: 'bob' });
  const sent = g.send('alice', 'hi');
  t.type(sent, Promise);
  t.match(await sent, { to: '1.1.1.1:1', state: 'sent' });
  t.match(await g.broadcast('all'), [{ to: '1.1.1.1:1' }]);
  t.match(await g.connect('3.3.3.3:3'), { address: '3.3.3.3:3', connected: true });
  t.match(await g.connectAll(), [{ address: '2.2.2.2:2' }]);
  t.same(await g.query('alice'), ['2.2.2.2:2', '3.3.3.3:3']);
  t.same(
    g.active().map((p) => p.address),
    ['1.1.1.1:1', '2.2.2.2:2', '3.3.3.3:3'],
  );
  t.equal(g.connected().length, 3);
  t.same(peer.calls, [
    'send alice hi',
    'broadcast all',
    'send 1.1.1.1:1 all',
    'connect 3.3.3.3:3',
    'connectAll',
    'connect 2.2.2.2:2',
    'query alice',
  ]);
});

t.test('pending() takes and clears the queue', async (t) => {
  const { peer, g } = setup();
  peer.pendingQueue.push(makeMessage({ from: '1.1.1.1:1', text: 'a' }));
  t.equal(g.pending().length, 1);
  t.equal(g.pending().length, 0);
});

t.test('bad arguments reject with ERR_USAGE, peer errors pass through with their code', async (t) => {
  const { peer, g } = setup();
  peer.addPeer({ address: '1.1.1.1:1', name: 'twin' });
  peer.addPeer({ address: '2.2.2.2:2', name: 'twin' });
  // biome-ignore lint/suspicious/noExplicitAny: calling as an untyped script would
  const loose = g as any;
  await t.rejects(loose.send(), { code: 'ERR_USAGE' });
  await t.rejects(loose.send('twin'), { code: 'ERR_USAGE' });
  await t.rejects(loose.connect(42), { code: 'ERR_USAGE' });
  await t.rejects(loose.query(''), { code: 'ERR_USAGE' });
  await t.rejects(g.send('twin', 'x'), {
    code: 'ERR_AMBIGUOUS_TARGET',
    message: /1\.1\.1\.1:1, 2\.2\.2\.2:2/,
  });
  await t.rejects(g.send('nobody', 'x'), { code: 'ERR_UNKNOWN_TARGET' });
  await t.rejects(g.quit(999), { code: 'ERR_USAGE' });
  t.throws(() => loose.on('nope', () => {}), { code: 'ERR_USAGE', message: /message/ });
  t.throws(() => loose.on('message', 'x'), { code: 'ERR_USAGE' });
  try {
    loose.chat();
    t.fail('chat() without a target throws');
  } catch (err) {
    t.ok(isPeerchatError(err, 'ERR_USAGE'), 'a PeerchatError with ERR_USAGE');
  }
});

t.test('trust passes through, validated', async (t) => {
  const { peer, g } = setup();
  g.trust('1.2.3.4:5', 'cd'.repeat(32));
  t.same(peer.calls, [`trust 1.2.3.4:5 ${'cd'.repeat(32)}`]);
  // biome-ignore lint/suspicious/noExplicitAny: calling as an untyped script would
  t.throws(() => (g as any).trust('1.2.3.4:5'), { code: 'ERR_USAGE' });
});

t.test('chat and quit go to the context', async (t) => {
  const { g, log } = setup();
  await g.chat('alice');
  await g.quit();
  await g.quit(3);
  t.same(log, ['chat alice', 'quit 0', 'quit 3']);
});

t.test('on() subscribes, chains, and isolates listener failures; off() removes', async (t) => {
  const { peer, g, errors } = setup();
  const got: string[] = [];
  const fn = (m: { text: string }) => {
    got.push(m.text);
  };
  t.equal(
    g.on('message', fn).on('message', () => {
      throw new Error('boom');
    }),
    g,
    'on returns the global',
  );
  g.on('peer-connected', async () => {
    throw new Error('async boom');
  });
  g.once('message', (m) => {
    got.push(`once ${m.text}`);
  });
  peer.deliver({ from: '1.1.1.1:1', text: 'one' });
  await peer.connect('9.9.9.9:9');
  await new Promise((r) => setImmediate(r));
  g.off('message', fn);
  peer.deliver({ from: '1.1.1.1:1', text: 'two' });
  t.same(got, ['one', 'once one']);
  t.equal(errors.length, 3, 'sync throw (twice) and async rejection reported, not thrown');
  t.ok(PEER_EVENTS.includes('message-failed') && PEER_EVENTS.includes('peer-discovered'));
});

t.test('helpers and extras are added; core members cannot be replaced', async (t) => {
  const peer = new FakePeer();
  let rooms = 0;
  const g = createPeerGlobal(peer, {
    chat: () => {},
    quit: async () => {},
    helpers: { block: (addr: string) => `blocked ${addr}`, send: () => 'hijack' },
    extra: {
      get rooms() {
        return ++rooms;
      },
      history: () => [],
      name: 'nope',
    },
  });
  // biome-ignore lint/suspicious/noExplicitAny: members added at run time
  const loose = g as any;
  t.equal(loose.block('1.2.3.4:5'), 'blocked 1.2.3.4:5');
  t.equal(loose.rooms, 1);
  t.equal(loose.rooms, 2, 'getters stay live');
  t.type(loose.history, 'function');
  t.equal(g.name, 'me');
  t.type(await g.send('1.2.3.4:5', 'x').catch((e) => e), Error, 'send is still the core send');
  t.ok(CORE_MEMBERS.includes('send'));
});

t.test('inspect shows a summary, toJSON the identity', async (t) => {
  const { peer, g } = setup();
  peer.addPeer({ address: '1.1.1.1:1', connected: true });
  peer.addPeer({ address: '2.2.2.2:2' });
  t.equal(
    inspect(g),
    '<peer me 127.0.0.1:5000 abab:abab:abab:abab, 1 connected, 2 known; .help lists commands>',
  );
  t.same(JSON.parse(JSON.stringify(g)), {
    name: 'me',
    host: '127.0.0.1',
    port: 5000,
    address: '127.0.0.1:5000',
    id: 'ab'.repeat(32),
  });
});
