/** The Peer with its store: history, the durable outbox, resend with the same id, de-duplication. */
import t, { type Test } from 'tap';
import { loadIdentity } from '../../src/net/native/identity.js';
import { Peer } from '../../src/peer/peer.js';
import { Store } from '../../src/store/store.js';
import type { ChatMessage } from '../../src/types.js';
import { tempDir } from '../helpers/peers.js';
import { until, waitFor } from '../helpers/wait.js';

async function storedPeer(t: Test, name: string, dataDir: string, port = 0) {
  const identity = await loadIdentity(dataDir);
  const store = Store.open({ dataDir });
  const peer = new Peer({ name, host: '127.0.0.1', port, identity, dataDir, store });
  await peer.listen();
  t.teardown(() => peer.exit());
  return peer;
}

t.test('messages in and out are kept; history survives a restart', async (t) => {
  const aDir = tempDir(t);
  const bDir = tempDir(t);
  const a = await storedPeer(t, 'alice', aDir);
  const b = await storedPeer(t, 'bob', bDir);
  await a.connect(b.address);
  const got = waitFor<[ChatMessage]>(b, 'message');
  const res = await a.send('bob', 'kept');
  t.equal(res.state, 'acked');
  await got;
  t.match(a.history(), [{ id: res.id, text: 'kept', direction: 'out', state: 'acked', protocol: 'native' }]);
  t.match(b.history('alice'), [{ id: res.id, text: 'kept', direction: 'in', verified: true, key: a.id }]);
  await a.exit();
  const again = Store.open({ dataDir: aDir });
  t.teardown(() => again.close());
  t.match(again.history(), [{ id: res.id, text: 'kept', state: 'acked' }]);
});

t.test(
  'a message to an offline native peer is queued and resent with the same id when it is back',
  async (t) => {
    const aDir = tempDir(t);
    const bDir = tempDir(t);
    const a = await storedPeer(t, 'alice', aDir);
    let b = await storedPeer(t, 'bob', bDir);
    const bPort = b.port;
    await a.connect(b.address);
    await b.exit();
    await until(() => a.connectedPeers().length === 0);
    const res = await a.send(`127.0.0.1:${bPort}`, 'while you were away');
    t.equal(res.state, 'queued', 'offline: queued, not an error');
    t.match(a.outbox(), [{ id: res.id, state: 'queued' }]);

    b = await storedPeer(t, 'bob', bDir, bPort);
    const got = waitFor<[ChatMessage]>(b, 'message');
    await a.connect(b.address);
    const [msg] = await got;
    t.equal(msg.id, res.id, 'same id');
    t.equal(msg.text, 'while you were away');
    await until(() => a.outbox().length === 0, 5000, 'acked');
    t.match(a.history(), [{ id: res.id, state: 'acked' }]);
  },
);

t.test('a resend of an already kept message is acked but not shown twice', async (t) => {
  const a = await storedPeer(t, 'alice', tempDir(t));
  const b = await storedPeer(t, 'bob', tempDir(t));
  await a.connect(b.address);
  let shown = 0;
  b.on('message', () => shown++);
  const res = await a.send('bob', 'once');
  await until(() => shown === 1);
  // a lost ack: the same row is queued again and resent on a new session
  await a.store!.retry(res.id).catch(() => {});
  const session = (
    a as unknown as { table: { get(x: string): { session: { sendChat(c: unknown): Promise<void> } } } }
  ).table.get(b.address).session;
  await session.sendChat({ id: res.id, ts: Date.now(), text: 'once' });
  t.equal(shown, 1, 'acked again, shown once');
  t.equal(b.history().filter((m) => m.id === res.id).length, 1);
});

t.test('held messages in chat mode survive a restart', async (t) => {
  const bDir = tempDir(t);
  const a = await storedPeer(t, 'alice', tempDir(t));
  const b = await storedPeer(t, 'bob', bDir);
  await a.connect(b.address);
  b.setChatTarget('127.0.0.1:1');
  await a.send('bob', 'held');
  await b.exit();
  const store = Store.open({ dataDir: bDir });
  t.teardown(() => store.close());
  t.match(store.takePending(), [{ text: 'held' }]);
});

t.test('a changed key is refused, not queued as if the peer were away', async (t) => {
  const a = await storedPeer(t, 'alice', tempDir(t));
  const b = await storedPeer(t, 'bob', tempDir(t));
  const port = b.port;
  await a.connect(b.address);
  const gone = waitFor(a, 'peer-disconnected');
  await b.exit();
  await gone;
  await storedPeer(t, 'impostor', tempDir(t), port);
  await t.rejects(a.send(`127.0.0.1:${port}`, 'secret'), { code: 'ERR_KEY_MISMATCH' });
  t.same(a.outbox(), [], 'nothing queued for the pinned key');
});
