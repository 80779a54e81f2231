/**
 * Discovery: a chain of N in-process Peers, each connected only to its neighbour. Every round,
 * each peer queries the peers it is connected to and connects to all it learned (connectAll),
 * until every peer knows every other (and is connected to it). No baseline: the curve over N is
 * the result, and the time per peer must not grow with N.
 */
import { metric, now, scoped, targets } from '../lib/util.js';

export const DEFAULTS = { sizes: [10, 25, 50], maxRounds: 20, limitMs: 5000 };

export async function discovery(opts = {}) {
  const o = { ...DEFAULTS, ...opts };
  const curve = [];
  for (const n of o.sizes) curve.push(await chain(n, o));
  const metrics = curve.map((c) =>
    metric(
      `discovery, chain of ${c.peers} (ms)`,
      'ms',
      c.complete ? c.ms : null,
      null,
      c.peers === Math.max(...o.sizes) ? targets.maxValue(o.limitMs, 'ms') : null,
      `${c.rounds} rounds, ${c.sessions} sessions, ${c.msPerPeer.toFixed(1)} ms/N`,
    ),
  );
  // In one process the N peers share one thread: the wall time is about N times what one peer
  // spends. One peer's time (ms/N) may grow at most linearly in N, so ms/N² must not grow (25%
  // slack for noise).
  const first = curve[0];
  const last = curve[curve.length - 1];
  if (first && last && last !== first) {
    const growth = last.msPerPeer2 / first.msPerPeer2;
    const m = metric(`discovery growth, ms/N² at ${last.peers} vs ${first.peers}`, '×', growth, null, {
      text: '≤ 1.25 (linear per peer)',
      check: (x) => x.peerchat !== null && x.peerchat <= 1.25,
    });
    if (!first.complete || !last.complete) {
      m.peerchat = null;
      m.pass = false;
    }
    metrics.push(m);
  }
  return { row: 'discovery', metrics, details: { ...o, curve } };
}

async function chain(n, o) {
  return scoped(async (scope) => {
    const peers = [];
    for (let i = 0; i < n; i++) peers.push(await scope.peer(`chain${i}`));
    for (let i = 0; i < n - 1; i++) await peers[i].connect(peers[i + 1].address);
    const addresses = peers.map((p) => p.address);
    const knowsAll = () =>
      peers.every((p) => {
        const known = new Set(p.activePeers().map((x) => x.address));
        return addresses.every((a) => a === p.address || known.has(a));
      });
    const start = now();
    let rounds = 0;
    while (!knowsAll() && rounds < o.maxRounds) {
      rounds++;
      await Promise.all(
        peers.map(async (p) => {
          await Promise.allSettled(p.connectedPeers().map((x) => p.query(x.address)));
          await p.connectAll();
        }),
      );
    }
    const ms = now() - start;
    const sessions = peers.reduce((sum, p) => sum + p.connectedPeers().length, 0) / 2;
    return {
      peers: n,
      complete: knowsAll(),
      rounds,
      ms,
      msPerPeer: ms / n,
      msPerPeer2: ms / (n * n),
      sessions,
      msPerSession: ms / Math.max(1, sessions),
      warnings: scope.warningCodes,
    };
  });
}
