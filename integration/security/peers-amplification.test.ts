/**
 * Issue 15 #4: memory amplification through peers requests. Sessions that never read send
 * thousands of peers requests while many peers are connected (each answer several KB): the peer
 * must answer at a bounded rate (and close a session past its output budget) and keep its memory. Raw native sessions against a real
 * peerchat process.
 */
import t from 'tap';
import { Cluster, until } from '../harness.js';
import { dialNative, encodePeersRequest, MSG, type RawNative } from '../native-client.js';

const CONNECTED = 40;
const ATTACKERS = 4;
const REQUESTS = 2000;
const MAX_RSS_GROWTH = 24 * 1024 * 1024;
const mib = (n: number) => (n / 2 ** 20).toFixed(0);

t.setTimeout(120_000);

t.test('peers requests from sessions that never read cannot grow memory', async (t) => {
  const cluster = new Cluster(t);
  // all on 127.0.0.1: room for them under the per-IP cap (issue 15 #7)
  const target = await cluster.spawn({ name: 'target', config: { limits: { maxInboundPerIp: 100 } } });
  const port = Number(target.address.split(':')[1]);
  const open: RawNative[] = [];
  t.teardown(() => {
    for (const r of open) r.socket.destroy();
  });
  // many connected peers with long names: each answer is several KB
  for (let i = 0; i < CONNECTED; i++) {
    const r = await dialNative(port, { name: `peer-${i}-${'n'.repeat(50)}`, claimedPort: 21_000 + i });
    r.stream.setKeepAlive(1000);
    open.push(r);
  }
  await until(
    async () => ((await target.eval('peer.connected().length')) as number) >= CONNECTED,
    20_000,
    'the peers to connect',
  );
  const before = (await target.eval('(globalThis.gc?.(), process.memoryUsage().rss)')) as number;

  const attackers: RawNative[] = [];
  for (let a = 0; a < ATTACKERS; a++) {
    const r = await dialNative(port, { name: `attacker${a}`, claimedPort: 22_000 + a });
    await r.opened;
    r.stream.setKeepAlive(1000);
    r.socket.pause(); // never read
    attackers.push(r);
    open.push(r);
  }
  for (let i = 0; i < REQUESTS; i++) {
    for (const r of attackers)
      if (!r.stream.destroyed) r.channel.messages[MSG.peersRequest]!.send(encodePeersRequest(i));
    if (i % 100 === 99) await new Promise((r) => setImmediate(r));
  }
  // the last requests reach the peer before we measure: a round trip on an honest session
  await target.eval('peer.connected().length');
  await new Promise((r) => setImmediate(r));
  const after = (await target.eval('process.memoryUsage().rss')) as number;
  t.comment(
    `target RSS ${mib(before)} -> ${mib(after)} MiB (${ATTACKERS} x ${REQUESTS} requests, ${CONNECTED} peers)`,
  );
  t.ok(after - before < MAX_RSS_GROWTH, `RSS growth ${mib(after - before)} MiB < ${mib(MAX_RSS_GROWTH)} MiB`);
  const names = (await target.eval('peer.connected().map((p) => p.name)')) as string[];
  t.equal(
    names.filter((n) => n.startsWith('peer-')).length,
    CONNECTED,
    'every honest peer is still connected',
  );
});
