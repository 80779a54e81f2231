/**
 * The send policy and delivery, pinned through real loopback Peers: one-shot MESSAGE, ack timeout,
 * a drop before the ack, outbox expiry, retry/drop, broadcast, and a plugin dropping a message.
 */
import { createServer, type Socket } from 'node:net';
import t, { type Test } from 'tap';
import { loadIdentity } from '../../src/net/native/identity.js';
import type { PeerOptions } from '../../src/peer/options.js';
import { Peer } from '../../src/peer/peer.js';
import { Store } from '../../src/store/store.js';
import type { ChatMessage, SendResult } from '../../src/types.js';
import { tempDir } from '../helpers/peers.js';
import { RawClassicPeer } from '../helpers/raw-classic.js';
import { until, waitFor } from '../helpers/wait.js';

async function storedPeer(
  t: Test,
  name: string,
  dataDir: string,
  opts: Partial<PeerOptions> & { expireMs?: number } = {},
) {
  const identity = await loadIdentity(dataDir);
  const { expireMs, ...rest } = opts;
  const store = Store.open({ dataDir, outbox: expireMs === undefined ? {} : { expireMs } });
  // one write first: a writer thread compiles its sources under tap, and a first commit slower
  // than a test's short ack timeout would leave a message queued on a live session
  await store.drop('warm-up');
  const peer = new Peer({ name, host: '127.0.0.1', port: 0, identity, dataDir, store, ...rest });
  await peer.listen();
  t.teardown(() => peer.exit());
  return peer;
}

/** An incoming interceptor that never finishes: the message is never kept, so never acked. */
function neverKeeping(seen: ChatMessage[] = []) {
  return {
    incoming: (m: ChatMessage) => {
      seen.push(m);
      return new Promise<ChatMessage | null>(() => {});
    },
  };
}
const neverKeep = neverKeeping();

t.test('a classic address that never answers CONNECT gets the one-shot MESSAGE', async (t) => {
  const frames: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.on('data', (d) => frames.push(d.toString('utf8').trim())); // never an ACK
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  const port = (server.address() as { port: number }).port;
  const peer = new Peer({
    name: 'pc',
    host: '127.0.0.1',
    port: 0,
    identity: null,
    timeouts: { connect: 300 },
  });
  await peer.listen();
  t.teardown(() => peer.exit());
  const res = await peer.send(`127.0.0.1:${port}`, 'are you there');
  t.match(res, { state: 'sent', protocol: 'classic', to: `127.0.0.1:${port}` });
  await until(() => frames.some((f) => f.startsWith('MESSAGE:')), 5000, 'the MESSAGE');
  t.ok(frames[0]?.startsWith(`CONNECT:pc:${peer.port}`), 'CONNECT first');
  t.equal(
    frames.find((f) => f.startsWith('MESSAGE:')),
    `MESSAGE:pc:${peer.port}:are you there`,
  );
  t.same(peer.connectedPeers(), [], 'no session came of it');
});

t.test('without classic, a CONNECT that gets no answer is an error, not a one-shot', async (t) => {
  const server = createServer((s) => s.on('error', () => {}));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => server.close());
  const port = (server.address() as { port: number }).port;
  const dir = tempDir(t);
  const peer = new Peer({
    name: 'pc',
    host: '127.0.0.1',
    port: 0,
    identity: await loadIdentity(dir),
    dataDir: dir,
    classic: false,
    timeouts: { connect: 300 },
  });
  await peer.listen();
  t.teardown(() => peer.exit());
  await t.rejects(peer.send(`127.0.0.1:${port}`, 'hi'), { code: 'ERR_CONNECT_TIMEOUT' });
});

t.test('an ack timeout leaves the message queued; it is resent with the same id', async (t) => {
  const bDir = tempDir(t);
  const a = await storedPeer(t, 'alice', tempDir(t), { timeouts: { ack: 300 } });
  const b = await storedPeer(t, 'bob', bDir, { interceptors: neverKeep });
  const bPort = b.port;
  await a.connect(b.address);
  const res = await a.send('bob', 'slow');
  t.match(res, { state: 'queued', protocol: 'native', error: /acknowledged/ });
  t.match(a.outbox(), [{ id: res.id, state: 'queued' }]);
  await b.exit();
  await until(() => a.connectedPeers().length === 0);
  const b2 = await storedPeer(t, 'bob', bDir, { port: bPort });
  const got = waitFor<[ChatMessage]>(b2, 'message');
  await a.connect(b2.address);
  const [msg] = await got;
  t.equal(msg.id, res.id, 'same id');
  await until(() => a.outbox().length === 0, 5000, 'acked');
});

t.test(
  'an ack that arrives after the timeout still marks the message acked, on the same session',
  async (t) => {
    const a = await storedPeer(t, 'alice', tempDir(t), { timeouts: { ack: 200 } });
    // a receiver slower than the sender's ack timeout (a loaded disk): it keeps the message late
    const slow = {
      incoming: (m: ChatMessage) => new Promise<ChatMessage>((r) => setTimeout(() => r(m), 600)),
    };
    const b = await storedPeer(t, 'bob', tempDir(t), { interceptors: slow });
    await a.connect(b.address);
    const res = await a.send('bob', 'late but safe');
    t.match(res, { state: 'queued', error: /acknowledged/ }, 'the wait timed out');
    await until(() => a.outbox().length === 0, 5000, 'the late ack');
    t.equal(a.history().find((m) => m.id === res.id)?.state, 'acked');
    t.equal(a.connectedPeers().length, 1, 'on the same session, no reconnect');
  },
);

t.test('without a store, an ack timeout rejects with ERR_ACK_TIMEOUT', async (t) => {
  const aDir = tempDir(t);
  const bDir = tempDir(t);
  const a = new Peer({
    name: 'alice',
    host: '127.0.0.1',
    identity: await loadIdentity(aDir),
    dataDir: aDir,
    timeouts: { ack: 300 },
  });
  const b = new Peer({
    name: 'bob',
    host: '127.0.0.1',
    identity: await loadIdentity(bDir),
    dataDir: bDir,
    interceptors: neverKeep,
  });
  await a.listen();
  await b.listen();
  t.teardown(() => Promise.all([a.exit(), b.exit()]));
  await a.connect(b.address);
  await t.rejects(a.send('bob', 'lost'), { code: 'ERR_ACK_TIMEOUT' });
});

t.test('a session dropped before the ack leaves the message queued', async (t) => {
  const a = await storedPeer(t, 'alice', tempDir(t));
  const arrived: ChatMessage[] = [];
  const b = await storedPeer(t, 'bob', tempDir(t), { interceptors: neverKeeping(arrived) });
  await a.connect(b.address);
  const sending = a.send('bob', 'cut off');
  await until(() => arrived.length === 1, 5000, 'the message reached bob');
  await b.exit();
  const res = await sending;
  t.match(res, { state: 'queued', protocol: 'native' });
  t.type(res.error, 'string', 'the reason is given');
  t.match(a.outbox(), [{ id: res.id, state: 'queued' }]);
});

t.test('an expired outbox message is reported as message-failed by the Peer', async (t) => {
  const a = await storedPeer(t, 'alice', tempDir(t), { expireMs: 1, expireCheckMs: 20 });
  const b = await storedPeer(t, 'bob', tempDir(t));
  const bAddress = b.address;
  await a.connect(bAddress);
  await b.exit();
  await until(() => a.connectedPeers().length === 0);
  const failed = waitFor<[ChatMessage, string, { code: string; message: string }]>(a, 'message-failed');
  const warned = waitFor(a, 'warning', { filter: (w: { code: string }) => w.code === 'ERR_MESSAGE_EXPIRED' });
  const res = await a.send(bAddress, 'too late');
  t.equal(res.state, 'queued');
  const [msg, error, failure] = await failed;
  t.match(msg, { id: res.id, text: 'too late', direction: 'out' });
  t.match(error, /expired/);
  t.same(failure, { code: 'ERR_MESSAGE_EXPIRED', message: error }, 'and as { code, message }');
  await warned;
  t.same(
    a.outbox().filter((m) => m.state === 'queued'),
    [],
    'no longer queued',
  );
  t.match(a.history(), [{ id: res.id, state: 'failed' }]);
});

t.test('retry queues a failed message again and sends it; drop removes one', async (t) => {
  const a = await storedPeer(t, 'alice', tempDir(t), { expireMs: 1 });
  const b = await storedPeer(t, 'bob', tempDir(t));
  const bAddress = b.address;
  await a.connect(bAddress);
  await b.exit();
  await until(() => a.connectedPeers().length === 0);
  const kept = await a.send(bAddress, 'retry me');
  const dropped = await a.send(bAddress, 'drop me');
  t.equal(await a.drop(dropped.id), true, 'dropped');
  t.equal(await a.drop(dropped.id), false, 'already gone');
  t.same(
    a.outbox().map((m) => m.id),
    [kept.id],
  );
  const sentAt = Date.now();
  await until(() => Date.now() - sentAt > 5, 1000, 'the 1 ms expiry to pass');
  t.match(a.store!.expire(), [{ id: kept.id }], 'failed by the store');
  const again = await a.retry(kept.id);
  t.match(again, { id: kept.id, state: 'queued' });
  t.match(a.outbox(), [{ id: kept.id, state: 'queued' }]);
  await t.rejects(a.retry('no-such-id'));
});

t.test('retry of a failed message sends it at once when its peer is connected', async (t) => {
  const a = await storedPeer(t, 'alice', tempDir(t), {
    timeouts: { ack: 300 },
    expireMs: 1,
    expireCheckMs: 20,
  });
  const bDir = tempDir(t);
  const b = await storedPeer(t, 'bob', bDir, { interceptors: neverKeep });
  const bPort = b.port;
  await a.connect(b.address);
  const failed = waitFor(a, 'message-failed');
  const res = await a.send('bob', 'again');
  t.equal(res.state, 'queued');
  await failed;
  await b.exit();
  await until(() => a.connectedPeers().length === 0);
  const b2 = await storedPeer(t, 'bob', bDir, { port: bPort });
  const got = waitFor<[ChatMessage]>(b2, 'message');
  await a.connect(b2.address);
  t.same(
    a.outbox().map((m) => m.state),
    ['failed'],
    'a failed message is not resent by itself',
  );
  t.match(await a.retry(res.id), { id: res.id, state: 'queued' });
  const [msg] = await got;
  t.equal(msg.id, res.id, 'resent with the same id');
  await until(() => a.outbox().length === 0, 5000, 'acked');
  await t.rejects(a.retry(res.id), { code: 'ERR_USAGE' }, 'an acked message cannot be retried');
});

t.test('without a store, outbox() is empty and retry/drop are usage errors', async (t) => {
  const peer = new Peer({ name: 'pc', host: '127.0.0.1', identity: null });
  await peer.listen();
  t.teardown(() => peer.exit());
  t.same(peer.outbox(), []);
  t.same(peer.history(), []);
  await t.rejects(peer.retry('x'), { code: 'ERR_USAGE' });
  await t.rejects(peer.drop('x'), { code: 'ERR_USAGE' });
});

t.test('broadcast never rejects for one peer: a failed peer gets a failed result', async (t) => {
  const a = new Peer({ name: 'pc', host: '127.0.0.1', identity: null, timeouts: { connect: 500 } });
  await a.listen();
  t.teardown(() => a.exit());
  const good = new RawClassicPeer('good');
  const bad = new RawClassicPeer('bad');
  await good.listen();
  await bad.listen();
  t.teardown(() => Promise.all([good.close(), bad.close()]));
  await a.connect(`127.0.0.1:${good.port}`);
  await a.connect(`127.0.0.1:${bad.port}`);
  // bad keeps its session open but accepts no new connection: its one-shot MESSAGE fails
  bad.server.close();
  await until(() => !bad.server.listening);
  const sent: SendResult[] = [];
  a.on('sent', (_m, r) => sent.push(r));
  const results = await a.broadcast('to all');
  t.equal(results.length, 2);
  const byTo = Object.fromEntries(results.map((r) => [r.to, r]));
  t.match(byTo[`127.0.0.1:${good.port}`], { state: 'sent', protocol: 'classic' });
  t.match(byTo[`127.0.0.1:${bad.port}`], { state: 'failed', protocol: 'classic', id: '', error: /./ });
  t.match(byTo[`127.0.0.1:${bad.port}`], { code: /^ERR_[A-Z_]+$/ }, 'the failure has a code beside its text');
  t.equal(sent.length, 1, 'only the delivered one is reported sent');
  await until(() => good.frames.some((f) => f.text === `MESSAGE:pc:${a.port}:to all`));
});

t.test('an outgoing transform returning null drops the message on a real Peer', async (t) => {
  const aDir = tempDir(t);
  const a = new Peer({
    name: 'alice',
    host: '127.0.0.1',
    identity: await loadIdentity(aDir),
    dataDir: aDir,
    interceptors: { outgoing: (m) => (m.text === 'secret' ? null : { ...m, text: m.text.toUpperCase() }) },
  });
  await a.listen();
  t.teardown(() => a.exit());
  const bDir = tempDir(t);
  const b = new Peer({ name: 'bob', host: '127.0.0.1', identity: await loadIdentity(bDir), dataDir: bDir });
  await b.listen();
  t.teardown(() => b.exit());
  await a.connect(b.address);
  const got: ChatMessage[] = [];
  b.on('message', (m) => got.push(m));
  let sent = 0;
  a.on('sent', () => sent++);
  const dropped = await a.send('bob', 'secret');
  t.match(dropped.id, /^[0-9a-f]{8}-[0-9a-f]{4}-/, 'the id the dropped message had');
  t.same(dropped, {
    id: dropped.id,
    to: b.address,
    protocol: 'native',
    state: 'failed',
    error: 'dropped by a plugin',
    code: 'ERR_PLUGIN_DROPPED',
  });
  const shouted = await a.send('bob', 'hello');
  t.equal(shouted.state, 'acked');
  await until(() => got.length === 1);
  t.equal(got[0]!.text, 'HELLO', 'the transform changed the text');
  t.equal(sent, 1, 'the dropped message is not reported sent');
});
