/**
 * Scenario 2: discovery along a chain. Each peer knows only its neighbour at first; rounds of
 * query (every connected peer) + connectAll run until every peer knows and is connected to
 * every other one.
 */
import t from 'tap';
import { Cluster, connectedAddresses, type PeerProcess } from './harness.js';

const CHAIN = 8;
/** log2(CHAIN) rounds suffice when every round doubles the reach; leave room for races. */
const MAX_ROUNDS = 6;

t.setTimeout(60_000);

// one stdin line: ask every connected peer for its peers, then connect to everything learned
const ROUND =
  'await (async () => { for (const p of peer.connected()) await peer.query(p.address); ' +
  'await peer.connectAll(); return { known: peer.active().map((p) => p.address), ' +
  'connected: peer.connected().map((p) => p.address) }; })()';

interface RoundResult {
  known: string[];
  connected: string[];
}

t.test(`discovery along a chain of ${CHAIN} peers`, async (t) => {
  const cluster = new Cluster(t);
  const t0 = Date.now();
  const peers = await cluster.spawnMany(CHAIN, (i) => ({ name: `c${i}` }));
  t.comment(`spawned ${CHAIN} peers in ${Date.now() - t0} ms`);
  // each peer is told only its right-hand neighbour
  await Promise.all(
    peers.slice(0, -1).map((p, i) => p.eval(`await peer.connect(${JSON.stringify(peers[i + 1]!.address)})`)),
  );
  await Promise.all(
    peers.slice(1).map((p, i) => p.waitFor('peer-connected', (e) => e.peer === peers[i]!.address)),
  );
  for (const [i, p] of peers.entries()) {
    const expected = [peers[i - 1]?.address, peers[i + 1]?.address].filter((x): x is string => !!x).sort();
    t.same(await connectedAddresses(p), expected, `${p.name} starts connected to its neighbours only`);
  }

  const all = peers.map((p) => p.address);
  const others = (p: PeerProcess) => all.filter((a) => a !== p.address).sort();
  const started = Date.now();
  let rounds = 0;
  let done = false;
  while (!done && rounds < MAX_ROUNDS) {
    rounds++;
    const results = (await Promise.all(peers.map((p) => p.eval(ROUND, 20_000)))) as RoundResult[];
    // the round's own answer can lag behind sessions the others opened meanwhile: ask again
    const lists = await Promise.all(peers.map((p) => connectedAddresses(p)));
    const missing = lists.reduce((n, l, i) => n + (others(peers[i]!).length - l.length), 0);
    t.comment(
      `round ${rounds}: connections per peer ${lists.map((l) => l.length).join(' ')} ` +
        `(known ${results.map((r) => r.known.length).join(' ')}), ${missing} missing`,
    );
    done = lists.every((l, i) => JSON.stringify(l) === JSON.stringify(others(peers[i]!)));
  }
  const ms = Date.now() - started;
  t.comment(`full mesh of ${CHAIN} peers after ${rounds} rounds in ${ms} ms`);
  t.ok(done, `every peer is connected to all ${CHAIN - 1} others within ${MAX_ROUNDS} rounds`);
  t.ok(rounds <= Math.ceil(Math.log2(CHAIN)) + 1, `rounds (${rounds}) grow with log2 of the chain`);

  for (const p of peers) {
    const known = ((await p.eval('peer.active().map((x) => x.address)')) as string[]).sort();
    t.same(known, others(p), `${p.name} knows every other peer, not itself`);
    const conn = (await p.eval('peer.connected().map((x) => [x.address, x.protocol])')) as [string, string][];
    t.ok(
      conn.every(([, proto]) => proto === 'native'),
      `${p.name}: every session is native`,
    );
    t.same(p.all('error'), [], `${p.name} reported no error`);
  }
});
