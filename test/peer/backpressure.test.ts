/**
 * Backpressure: a connected peer's sends past the outbox limit wait for acks instead of failing;
 * an away peer's still fail with ERR_OUTBOX_FULL. Real Peers with real stores over loopback.
 */
import t, { type Test } from 'tap';
import { loadIdentity } from '../../src/net/native/identity.js';
import { Backpressure } from '../../src/peer/backpressure.js';
import { Peer } from '../../src/peer/peer.js';
import { Store } from '../../src/store/store.js';
import type { ChatMessage } from '../../src/types.js';
import { tempDir } from '../helpers/peers.js';
import { until, waitFor } from '../helpers/wait.js';

async function storedPeer(t: Test, name: string, maxPerPeer?: number, dataDir = tempDir(t)) {
  const identity = await loadIdentity(dataDir);
  const store = Store.open({ dataDir, outbox: maxPerPeer === undefined ? {} : { maxPerPeer } });
  const peer = new Peer({ name, host: '127.0.0.1', port: 0, identity, dataDir, store });
  await peer.listen();
  t.teardown(() => peer.exit());
  return peer;
}

t.test(
  'Backpressure runs waiters in order once there is room, and at once when the peer is away',
  async (t) => {
    let room = 0;
    let live = true;
    const bp = new Backpressure(() => room > 0);
    const started: number[] = [];
    const start = (n: number) => () => {
      started.push(n);
      room--;
      return Promise.resolve(n);
    };
    const all = [1, 2, 3].map((n) => bp.admit('k', () => live, start(n)));
    t.same(started, [], 'no room: all wait');
    t.equal(bp.waiting, 3);
    room = 1;
    bp.wake();
    t.same(started, [1], 'one slot: the first one');
    // a new send with room free does not jump the line
    room = 1;
    const late = bp.admit('k', () => live, start(4));
    t.same(started, [1], 'the fourth waits behind the others');
    room = 1;
    bp.wake();
    t.same(started, [1, 2]);
    live = false;
    bp.wake();
    t.same(started, [1, 2, 3, 4], 'the session went away: the rest go ahead (and meet the limit)');
    t.same(await Promise.all([...all, late]), [1, 2, 3, 4]);
    t.equal(bp.waiting, 0);
  },
);

t.test(
  '20,000 pipelined sends to a connected peer, store on, all resolve acked and arrive in order',
  async (t) => {
    const alice = await storedPeer(t, 'alice');
    const bob = await storedPeer(t, 'bob');
    await alice.connect(bob.address);
    const N = 20_000;
    const got: string[] = [];
    bob.on('message', (m: ChatMessage) => got.push(m.text));
    const done = until(() => got.length === N, 40_000, 'every message at bob');
    const results = await Promise.all(Array.from({ length: N }, (_, i) => alice.send(bob.address, `m${i}`)));
    await done;
    t.equal(results.length, N);
    t.ok(
      results.every((r) => r.state === 'acked'),
      'every promise resolved acked',
    );
    t.ok(
      got.every((text, i) => text === `m${i}`),
      'received in the order sent',
    );
    t.equal(alice.outbox().length, 0, 'nothing left in the outbox');
    t.equal(alice.history(bob.address, { limit: Infinity }).length, N, 'all in the history');
  },
);

t.test('an away peer still gets ERR_OUTBOX_FULL past the limit', async (t) => {
  const alice = await storedPeer(t, 'alice', 3);
  const bobDir = tempDir(t);
  const bob = await storedPeer(t, 'bob', undefined, bobDir);
  const address = bob.address;
  await alice.connect(address);
  const gone = waitFor(alice, 'peer-disconnected');
  await bob.exit();
  await gone;
  for (let i = 0; i < 3; i++) t.match(await alice.send(address, `q${i}`), { state: 'queued' });
  await t.rejects(alice.send(address, 'one too many'), { code: 'ERR_OUTBOX_FULL' });
});
