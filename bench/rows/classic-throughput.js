/**
 * Classic throughput: MESSAGE frames, one connection each, as the original sends them (connect,
 * write the frame without a terminator, close), from many concurrent clients to a Peer, until its
 * 'message' events; vs a bare Node server that accepts, reads and closes. The same with a SQLite
 * store on the Peer (its default): every classic message is stored before its event.
 */
import { connect } from 'node:net';
import { Store } from '../../dist/store/store.js';
import { counter, HOST, metric, now, payload, rawServer, scoped, targets } from '../lib/util.js';

export const DEFAULTS = { connections: 2000, concurrency: 50, bytes: 100, trials: 2 };
/** A connect slower than this is a stall (a SYN retransmit takes 1 s). */
export const STALL_MS = 1000;

export async function classicThroughput(opts = {}) {
  const o = { ...DEFAULTS, ...opts };
  const frame = Buffer.from(`MESSAGE:bench:4000:${payload(o.bytes)}`);
  const result = await scoped(async (scope) => {
    const peer = await scope.peer('classic-sink');
    const stored = await scope.peer('classic-sink-store', (dataDir) => ({ store: Store.open({ dataDir }) }));
    const { port } = await rawServer(scope, (s) => {
      s.on('data', () => {});
      s.on('end', () => {
        bare.hit?.();
        s.end();
      });
    });
    const bare = { hit: null };
    const runPeer = async (sink = peer) => {
      const got = counter(o.connections, 'classic messages');
      sink.on('message', got.hit);
      try {
        return await blast(sink.port, frame, o, got.done);
      } finally {
        sink.off('message', got.hit);
      }
    };
    const runBare = async () => {
      const got = counter(o.connections, 'closed connections');
      bare.hit = got.hit;
      return blast(port, frame, o, got.done);
    };
    // warm-up: code paths and the accept queue, then alternate trials and keep the best
    const warm = { ...o, connections: Math.min(500, o.connections) };
    await blast(peer.port, frame, warm, Promise.resolve());
    await blast(port, frame, warm, Promise.resolve());
    await blast(stored.port, frame, warm, Promise.resolve());
    const runs = { peerchat: [], baseline: [], storeOn: [] };
    for (let t = 0; t < o.trials; t++) {
      runs.peerchat.push(await runPeer());
      runs.baseline.push(await runBare());
      runs.storeOn.push(await runPeer(stored));
    }
    return { runs, warnings: scope.warningCodes };
  });
  const best = (list) => list.reduce((a, b) => (b.rate > a.rate ? b : a));
  const p = best(result.runs.peerchat);
  const b = best(result.runs.baseline);
  const s = best(result.runs.storeOn);
  const stalls = [...result.runs.peerchat, ...result.runs.storeOn].reduce((n, r) => n + r.stalls, 0);
  const bareStalls = result.runs.baseline.reduce((n, r) => n + r.stalls, 0);
  return {
    row: 'classic-throughput',
    metrics: [
      metric('classic throughput (msg/s)', 'msg/s', p.rate, b.rate, targets.minRatio(0.5)),
      metric('classic throughput, store on (msg/s)', 'msg/s', s.rate, b.rate, targets.minRatio(0.5)),
      metric(`classic connect stalls (> ${STALL_MS} ms)`, 'count', stalls, bareStalls, targets.maxValue(0)),
    ],
    details: {
      ...o,
      peerchat: result.runs.peerchat,
      baseline: result.runs.baseline,
      storeOn: result.runs.storeOn,
      warnings: result.warnings,
    },
  };
}

/**
 * Open `connections` one-shot connections, `concurrency` at a time; each writes `frame` and ends.
 * Resolves once every client finished and `done` resolved (the server saw them all).
 */
async function blast(port, frame, o, done) {
  const connectMs = [];
  let next = 0;
  const start = now();
  const cpu = process.cpuUsage();
  const worker = async () => {
    while (next < o.connections) {
      next++;
      connectMs.push(await oneShot(port, frame));
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.concurrency, o.connections) }, worker));
  await done;
  const ms = now() - start;
  const used = process.cpuUsage(cpu);
  connectMs.sort((a, b) => a - b);
  return {
    ms,
    rate: (o.connections * 1000) / ms,
    cpuUsPerItem: (used.user + used.system) / o.connections,
    stalls: connectMs.filter((x) => x > STALL_MS).length,
    connectP99Ms: connectMs[Math.floor(connectMs.length * 0.99)] ?? 0,
  };
}

/** Connect, write, end; resolves with the connect time in ms once the socket closed. */
function oneShot(port, frame) {
  return new Promise((resolve, reject) => {
    const t0 = now();
    let connected = 0;
    const s = connect({ host: HOST, port, noDelay: true });
    s.once('connect', () => {
      connected = now() - t0;
      s.end(frame);
    });
    s.on('data', () => {});
    s.once('error', reject);
    s.once('close', () => resolve(connected));
  });
}
