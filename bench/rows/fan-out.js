/**
 * Fan-out: broadcast() from a hub to connected native peers, until every one has it (its
 * 'message' event); vs a hub writing one line to each of as many raw sockets in a loop, until every
 * client read it. Median of several rounds each, alternating.
 */
import {
  counter,
  median,
  metric,
  now,
  payload,
  rawConnect,
  rawServer,
  scoped,
  targets,
  until,
} from '../lib/util.js';

export const DEFAULTS = { peers: 50, rounds: 50, warmup: 10, bytes: 100 };
/** Handshakes at once while the peers join the hub (the hub's maxUnauthenticated is 64). */
const JOIN_BATCH = 10;

export async function fanOut(opts = {}) {
  const o = { ...DEFAULTS, ...opts };
  return scoped(async (scope) => {
    const text = payload(o.bytes);
    // every leaf dials from 127.0.0.1: the per-IP cap (maxInboundPerIp, 32 by default, meant for
    // strangers) would refuse leaves past the 32nd, so the hub admits them all
    const hub = await scope.peer('hub', { limits: { maxInboundPerIp: o.peers + 1 } });
    const leaves = [];
    for (let i = 0; i < o.peers; i++) leaves.push(await scope.peer(`leaf${i}`));
    for (let i = 0; i < leaves.length; i += JOIN_BATCH) {
      await Promise.all(leaves.slice(i, i + JOIN_BATCH).map((p) => p.connect(hub.address)));
    }
    if (hub.connectedPeers().length !== o.peers) throw new Error('not every leaf is connected to the hub');
    let onLeaf = null;
    for (const leaf of leaves) leaf.on('message', () => onLeaf?.());
    const peerchatRound = async () => {
      const got = counter(o.peers, 'broadcast receipts');
      onLeaf = got.hit;
      const start = now();
      const acked = hub.broadcast(text);
      await got.done;
      const ms = now() - start;
      const results = await acked; // every ack back before the next round
      if (results.some((r) => r.state !== 'acked')) throw new Error('a broadcast was not acked');
      return ms;
    };

    const line = Buffer.from(`${payload(o.bytes)}\n`);
    const { port, sockets } = await rawServer(scope, () => {});
    let onRaw = null;
    for (let i = 0; i < o.peers; i++) {
      const c = await rawConnect(scope, port);
      c.on('data', () => onRaw?.());
    }
    await until(() => sockets.size === o.peers, 'raw clients accepted');
    const rawRound = async () => {
      const got = counter(o.peers, 'raw receipts');
      onRaw = got.hit;
      const start = now();
      for (const s of sockets) s.write(line);
      await got.done;
      return now() - start;
    };

    for (let i = 0; i < o.warmup; i++) {
      await peerchatRound();
      await rawRound();
    }
    const times = { peerchat: [], baseline: [] };
    for (let i = 0; i < o.rounds; i++) {
      times.peerchat.push(await peerchatRound());
      times.baseline.push(await rawRound());
    }
    return {
      row: 'fan-out',
      metrics: [
        metric(
          `fan-out to ${o.peers} (ms)`,
          'ms',
          median(times.peerchat),
          median(times.baseline),
          targets.maxRatio(5),
        ),
      ],
      details: { ...o, peerchatMs: times.peerchat, baselineMs: times.baseline, warnings: scope.warningCodes },
    };
  });
}
