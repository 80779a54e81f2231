/**
 * The outbox delivers by itself: a message sent to a known peer that quit waits in the outbox; when
 * the peer comes back on its address (same data directory, same port), the sender redials it and
 * the message arrives with no action by either user. Both see it in history; the sender gets
 * `message-delivered`.
 */
import path from 'node:path';
import t from 'tap';
import { Cluster } from './harness.js';

t.setTimeout(60_000);

t.test('a message to an offline known peer is delivered when it comes back', async (t) => {
  const cluster = new Cluster(t);
  const bobData = path.join(cluster.dir('bob-data'), 'data');
  const alice = await cluster.spawn({ name: 'alice' });
  const bob = await cluster.spawn({ name: 'bob', dataDir: bobData });
  const address = bob.address;
  const port = bob.port;
  await alice.eval(`await peer.connect(${JSON.stringify(address)})`);
  const gone = alice.next('peer-disconnected', (e) => e.peer === address);
  await bob.quit();
  await gone;

  const text = 'left while you were away';
  const sent = (await alice.eval(`await peer.send(${JSON.stringify(address)}, ${JSON.stringify(text)})`)) as {
    id: string;
    state: string;
  };
  t.equal(sent.state, 'queued', 'queued for the away peer');

  // bob comes back on the same address; nobody types anything
  const back = await cluster.spawn({
    name: 'bob',
    dataDir: bobData,
    noPort: true,
    args: ['--port', String(port)],
  });
  t.equal(back.address, address, 'same address');
  const delivered = alice.waitFor('message-delivered', (e) => e.id === sent.id, 30_000);
  const arrived = await back.waitFor('message', (e) => e.text === text, 30_000);
  t.equal(arrived.id, sent.id, 'the same message id arrived');
  t.match(await delivered, { type: 'message-delivered', id: sent.id, peer: address, text });

  const aliceHistory = (await alice.eval(
    `peer.history(${JSON.stringify(address)}).map((m) => [m.id, m.state])`,
  )) as [string, string][];
  t.same(aliceHistory, [[sent.id, 'acked']], "in alice's history, acked");
  const bobHistory = (await back.eval('peer.history().map((m) => [m.id, m.direction, m.text])')) as unknown[];
  t.same(bobHistory, [[sent.id, 'in', text]], "in bob's history");
  t.same(await alice.eval('peer.outbox().length'), 0, "alice's outbox is empty");
});
