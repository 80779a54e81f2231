/**
 * Redial of peers with queued messages: the backoff policy over fake hooks, then real Peers with
 * stores: `message-delivered` once a queued message is acked, and `retry` of a queued message.
 */
import t, { type Test } from 'tap';
import { loadIdentity } from '../../src/net/native/identity.js';
import type { PeerOptions } from '../../src/peer/options.js';
import { Peer } from '../../src/peer/peer.js';
import { Redial } from '../../src/peer/redial.js';
import { Store } from '../../src/store/store.js';
import type { ChatMessage } from '../../src/types.js';
import { tempDir } from '../helpers/peers.js';
import { until, waitFor } from '../helpers/wait.js';

t.test('Redial dials with backoff until a dial succeeds, and stops when nothing waits', async (t) => {
  const dials: number[] = [];
  let fail = true;
  let waiting = true;
  const redial = new Redial(
    {
      dial: async () => {
        dials.push(Date.now());
        if (fail) throw new Error('ECONNREFUSED');
      },
      addressOf: () => '127.0.0.1:1',
      waiting: () => waiting,
      connected: () => false,
      closing: () => false,
    },
    { baseMs: 20, capMs: 40 },
  );
  t.teardown(() => redial.stop());
  redial.want('k');
  await until(() => dials.length >= 4, 5000, 'four dials');
  const gaps = dials.slice(1).map((d, i) => d - dials[i]!);
  t.ok(
    gaps.every((g) => g >= 9),
    `backoff between dials (${gaps.join(', ')} ms)`,
  );
  fail = false;
  await until(() => redial.pending().length === 0 && dials.length >= 5, 5000, 'a dial that succeeds');
  const n = dials.length;
  redial.want('k'); // wanted again while waiting: dials again
  await until(() => dials.length === n + 1, 5000, 'a new dial');
  waiting = false;
  fail = true;
  redial.want('k');
  await new Promise((r) => setImmediate(r));
  await until(() => redial.pending().length === 0, 5000, 'no timer');
  t.equal(dials.length, n + 1, 'nothing waits: no dial');
});

t.test('Redial.now dials at once, whatever the backoff', async (t) => {
  let dials = 0;
  const redial = new Redial(
    {
      dial: async () => {
        dials++;
        throw new Error('down');
      },
      addressOf: () => '127.0.0.1:1',
      waiting: () => true,
      connected: () => false,
      closing: () => false,
    },
    { baseMs: 60_000, capMs: 60_000 },
  );
  t.teardown(() => redial.stop());
  redial.want('k');
  await until(() => dials === 1 && redial.pending().length === 1, 5000, 'the first dial');
  redial.now('k');
  await until(() => dials === 2, 5000, 'the dial now');
  t.pass('dialled again at once despite a 60 s backoff');
});

async function storedPeer(t: Test, name: string, dataDir: string, opts: Partial<PeerOptions> = {}) {
  const identity = await loadIdentity(dataDir);
  const store = Store.open({ dataDir });
  const peer = new Peer({ name, host: '127.0.0.1', port: 0, identity, dataDir, store, ...opts });
  await peer.listen();
  t.teardown(() => peer.exit());
  return peer;
}

t.test('retry of a queued message dials its peer now; the delivery emits message-delivered', async (t) => {
  // a backoff far longer than the test: only retry() can bring the peer back in time
  const alice = await storedPeer(t, 'alice', tempDir(t), { redial: { baseMs: 60_000, capMs: 60_000 } });
  const bobDir = tempDir(t);
  const bob = await storedPeer(t, 'bob', bobDir);
  const { address, port } = bob;
  await alice.connect(address);
  const gone = waitFor(alice, 'peer-disconnected');
  await bob.exit();
  await gone;
  const res = await alice.send(address, 'are you back?');
  t.equal(res.state, 'queued');
  const bob2 = await storedPeer(t, 'bob', bobDir, { port });
  const delivered = waitFor<[ChatMessage]>(alice, 'message-delivered', { timeout: 10_000 });
  const got = waitFor<[ChatMessage]>(bob2, 'message', { timeout: 10_000 });
  t.match(await alice.retry(res.id), { id: res.id, state: 'queued' }, 'a queued message can be retried');
  const [msg] = await got;
  t.equal(msg.id, res.id);
  const [d] = await delivered;
  t.match(d, { id: res.id, text: 'are you back?', direction: 'out' });
  await until(() => alice.outbox().length === 0, 5000, 'acked');
});

t.test('an acked send() that waited emits no message-delivered', async (t) => {
  const alice = await storedPeer(t, 'alice', tempDir(t));
  const bob = await storedPeer(t, 'bob', tempDir(t));
  let delivered = 0;
  alice.on('message-delivered', () => delivered++);
  t.match(await alice.send(bob.address, 'hi'), { state: 'acked' });
  const late = await alice.send(bob.address, 'no wait', { wait: false });
  t.equal(late.state, 'queued');
  await waitFor(alice, 'message-delivered', { filter: (m: ChatMessage) => m.id === late.id });
  t.equal(delivered, 1, 'only the send that did not wait');
});

t.test('a session that ends with messages still queued is redialled by itself', async (t) => {
  const alice = await storedPeer(t, 'alice', tempDir(t), {
    timeouts: { ack: 300 },
    redial: { baseMs: 50, capMs: 200 },
  });
  const bobDir = tempDir(t);
  // bob never keeps (so never acks) the first message: it stays queued with the session up
  const bob = await storedPeer(t, 'bob', bobDir, {
    interceptors: { incoming: () => new Promise<ChatMessage | null>(() => {}) },
  });
  const { address, port } = bob;
  await alice.connect(address);
  const res = await alice.send(address, 'unacked');
  t.match(res, { state: 'queued', error: /acknowledged/ });
  const gone = waitFor(alice, 'peer-disconnected');
  await bob.exit();
  await gone;
  // bob's store is warmed first (a writer thread compiles its sources under tap): its ack must
  // come within alice's short ack timeout
  const store = Store.open({ dataDir: bobDir });
  await store.seenPeer({ address: '127.0.0.1:1' });
  const bob2 = new Peer({
    name: 'bob',
    host: '127.0.0.1',
    port,
    identity: await loadIdentity(bobDir),
    dataDir: bobDir,
    store,
  });
  t.teardown(() => bob2.exit());
  const got = waitFor<[ChatMessage]>(bob2, 'message', { timeout: 10_000 });
  await bob2.listen();
  const [msg] = await got;
  t.equal(msg.id, res.id, 'delivered with no connect() by anyone');
  const [d] = await waitFor<[ChatMessage]>(alice, 'message-delivered', {
    timeout: 10_000,
    filter: (m: ChatMessage) => m.id === res.id,
  });
  t.equal(d.text, 'unacked');
});
