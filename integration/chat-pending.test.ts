/**
 * Chat mode holds other peers' messages as pending, in the store, so they survive a restart:
 * also when chat mode was left before the quit (leaving used to take them out of the store into
 * the REPL's memory, and a quit then lost them).
 */
import path from 'node:path';
import t from 'tap';
import { Cluster } from './harness.js';

t.setTimeout(60_000);

t.test('a message held in chat mode is still pending after .exit, a quit and a restart', async (t) => {
  const cluster = new Cluster(t);
  const alice = await cluster.spawn({ name: 'alice' });
  const carol = await cluster.spawn({ name: 'carol' });
  const dataDir = path.join(cluster.dir('bob-data'), 'data');
  const bob = await cluster.spawn({ name: 'bob', dataDir });
  await bob.eval(`await peer.connect(${JSON.stringify(alice.address)})`);
  await bob.eval('.chat alice');
  const sent = await carol.eval(`await peer.send(${JSON.stringify(bob.address)}, 'held across restart')`);
  t.match(sent, { state: 'acked' });
  await bob.waitFor('message', (e) => e.text === 'held across restart');
  bob.write('.exit'); // leaves chat mode (no result line)
  t.equal((await bob.quit()).exitCode, 0);

  const again = await cluster.spawn({ name: 'bob', dataDir });
  t.match(await again.eval('peer.pending().map((m) => m.text)'), ['held across restart']);
  t.same(await again.eval('peer.pending()'), [], 'taken once');
});
