/**
 * The outbox's send to a connected peer with the store on: the message goes out only once its
 * `queued` row has committed. Sending while it commits would overlap the two sides' fsyncs (+25 %
 * in the in-process store row, measured), but a kill in between leaves the peer holding a message
 * the sender never stored; the crash soak (integration/crash-soak.test.ts) forbids that.
 */
import t, { type Test } from 'tap';
import { loadIdentity } from '../../src/net/native/identity.js';
import { Peer } from '../../src/peer/peer.js';
import { Store } from '../../src/store/store.js';
import type { ChatMessage } from '../../src/types.js';
import { nativePeer, tempDir } from '../helpers/peers.js';
import { waitFor } from '../helpers/wait.js';

/** A stored peer whose every commit pauses `pauseMs` first (the writer thread's test hook). */
async function slowStoredPeer(t: Test, name: string, pauseMs: number) {
  const dataDir = tempDir(t);
  process.env.PEERCHAT_TEST_COMMIT_PAUSE_MS = String(pauseMs);
  let store: Store;
  try {
    store = Store.open({ dataDir }); // the hook is read once, here
  } finally {
    delete process.env.PEERCHAT_TEST_COMMIT_PAUSE_MS;
  }
  await store.drop('warm-up'); // the thread is started and has committed once
  const identity = await loadIdentity(dataDir);
  const peer = new Peer({ name, host: '127.0.0.1', port: 0, identity, dataDir, store });
  await peer.listen();
  t.teardown(() => peer.exit());
  return { peer, store };
}

t.test('the message reaches a connected peer only after its row committed', async (t) => {
  const { peer: a, store } = await slowStoredPeer(t, 'alice', 800);
  const b = await nativePeer(t, 'bob');
  await a.connect(b.address);
  const arrived = waitFor<[ChatMessage]>(b, 'message', { timeout: 10_000 });
  const sent = a.send(b.address, 'hello');
  const [msg] = await arrived;
  t.equal(msg.text, 'hello');
  t.ok(
    store.outbox().some((m) => m.id === msg.id),
    'the sender had committed its queued row when the peer got the message',
  );
  const result = await sent;
  t.equal(result.state, 'acked');
  t.equal(store.history().find((m) => m.id === msg.id)?.state, 'acked', 'and then acked');
});

t.test(
  'with the store closed: a send is refused and sends nothing; a redial warns, not crashes',
  async (t) => {
    const { peer: a, store } = await slowStoredPeer(t, 'alice', 0);
    const b = await nativePeer(t, 'bob');
    await a.connect(b.address);
    const got: string[] = [];
    b.on('message', (m) => got.push(m.text));
    await store.close();
    await t.rejects(a.send(b.address, 'never'), { code: 'ERR_CLOSED' });
    // a round trip on the same session: a chat written before it would have arrived before the answer
    await a.query(b.address);
    t.same(got, [], 'nothing reached the peer');
    // the session drops: the redial's timer reads the closed store, which warns instead of crashing
    // with an unhandled rejection (it did, found by this test in CI)
    const warned = waitFor<[{ code: string; message: string }]>(a, 'warning', {
      timeout: 10_000,
      filter: (w) => /redial/.test(w.message),
    });
    await b.exit();
    const [w] = await warned;
    t.match(w, { code: 'ERR_CLOSED', message: /redial: outbox/ });
  },
);
