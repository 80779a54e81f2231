/**
 * Rooms (issue 10): in-process Peers join one room on a 10-node @hyperswarm/testnet, and the clock
 * runs from the joins to every pair connected (via "room:<name>"), for 2, 5 and 10 peers. Then
 * acked msg/s over one swarm connection, against the same workload over a TCP native session.
 *
 * The DHT runs only inside a loopback-only network namespace: outside one, the row re-runs itself
 * in a child under `unshare -n` (bench/rooms-child.js); where unshare is unavailable it is skipped
 * with the reason.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  insideNetns,
  NETNS_ENV,
  netnsSupport,
  startTestnet,
  unshareArgs,
} from '../../integration/helpers/namespace.mjs';
import { counter, interleave, median, metric, now, payload, scoped, until } from '../lib/util.js';
import { peerchatPass } from './native-throughput.js';

export const DEFAULTS = {
  sizes: [2, 5, 10],
  /** Joins per size; the median is the figure. */
  runs: 3,
  count: 10_000,
  window: 1000,
  bytes: 100,
  warmup: 2000,
  trials: 3,
  /** A join that has not connected every pair by then fails the row. */
  deadlineMs: 30_000,
};
const CHILD = fileURLToPath(new URL('../rooms-child.js', import.meta.url));
/** The child gets this long beyond its own deadlines before it is killed. */
const CHILD_TIMEOUT_MS = 300_000;

export async function rooms(opts = {}) {
  const o = { ...DEFAULTS, ...opts };
  if (insideNetns()) return measure(o);
  const support = netnsSupport();
  if (!support.available) return skipped(o, support.reason ?? 'no unshare');
  return inChild(o);
}

/** Metric names, the same whether measured or skipped. */
const NAMES = {
  join: (n) => `rooms: join → all pairs, ${n} peers (ms)`,
  rate: 'rooms: acked msg/s over a swarm connection',
};

/** The row's metrics with no figures, and why. */
function skipped(o, reason) {
  const n = NAMES;
  const note = `skipped: ${reason}`;
  return {
    row: 'rooms',
    skipped: reason,
    metrics: [
      ...o.sizes.map((s) => metric(n.join(s), 'ms', null, null, null, note)),
      metric(n.rate, 'msg/s', null, null, null, note),
    ],
    details: { ...o, skipped: reason },
  };
}

/** Runs `measure` in a child inside `unshare -n`; its last stdout line is the result as JSON. */
function inChild(o) {
  return new Promise((resolve, reject) => {
    const child = spawn('unshare', unshareArgs([CHILD, JSON.stringify(o)]), {
      env: { ...process.env, [NETNS_ENV]: '1' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (c) => {
      out += c;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const last = out.trim().split('\n').pop() ?? '';
      let msg;
      try {
        msg = JSON.parse(last);
      } catch {
        return reject(new Error(`the rooms child ended (${signal ?? `code ${code}`}) without a result`));
      }
      if (msg.error) return reject(new Error(msg.error));
      resolve(msg.result);
    });
  });
}

/** The measurement itself; only inside the namespace. */
export async function measure(o) {
  if (!insideNetns())
    throw new Error('the rooms row measures only inside the loopback-only network namespace');
  const testnet = await startTestnet();
  try {
    const bootstrap = testnet.bootstrap.map((n) => `${n.host}:${n.port}`);
    const dht = { bootstrap };
    const n = NAMES;
    // loads the DHT code once, so the first timed join does not pay for the import
    await joinToAllPairs(2, 'warmup', dht, o);
    const joins = [];
    for (const size of o.sizes) {
      const times = [];
      for (let run = 0; run < o.runs; run++)
        times.push(await joinToAllPairs(size, `join-${size}-${run}`, dht, o));
      joins.push({ peers: size, times, median: median(times), max: Math.max(...times) });
    }
    const rates = await throughput(dht, o);
    return {
      row: 'rooms',
      metrics: [
        ...joins.map((j) =>
          metric(
            n.join(j.peers),
            'ms',
            j.median,
            null,
            null,
            `median of ${j.times.length}, max ${Math.round(j.max)}`,
          ),
        ),
        metric(n.rate, 'msg/s', rates.room.best, rates.tcp.best, null, 'baseline: a TCP native session'),
      ],
      details: { ...o, testnetNodes: testnet.nodes.length, joins, ...rates },
    };
  } finally {
    await testnet.destroy();
  }
}

/** `size` Peers join `room` at once; ms from the joins to every pair connected in the room. */
function joinToAllPairs(size, room, dht, o) {
  return scoped(async (scope) => {
    const peers = [];
    for (let i = 0; i < size; i++) peers.push(await scope.peer(`${room}-${i}`, { dht }));
    const via = `room:${room}`;
    const allPairs = () =>
      peers.every((p) => p.connectedPeers().filter((x) => x.via === via).length === size - 1);
    const start = now();
    await Promise.all(peers.map((p) => p.join(room)));
    await until(allPairs, `all pairs of ${size} in ${room}`, o.deadlineMs);
    return now() - start;
  });
}

/** Acked msg/s A → B over one swarm connection, interleaved with the same over TCP. */
function throughput(dht, o) {
  return scoped(async (scope) => {
    const a = await scope.peer('room-sender', { dht });
    const b = await scope.peer('room-receiver', { dht });
    await Promise.all([a.join('throughput'), b.join('throughput')]);
    await until(
      () => a.connectedPeers().some((x) => x.key === b.id && x.via === 'room:throughput'),
      'the room connection',
      o.deadlineMs,
    );
    const target = a.connectedPeers().find((x) => x.key === b.id).address;
    const text = payload(o.bytes);
    const room = async (count) => {
      const got = counter(count, 'messages');
      b.on('message', got.hit);
      try {
        for (let sent = 0; sent < count; sent += o.window) {
          const k = Math.min(o.window, count - sent);
          const batch = new Array(k);
          for (let i = 0; i < k; i++) batch[i] = a.send(target, text);
          const results = await Promise.all(batch);
          if (results.some((r) => r.state !== 'acked')) throw new Error('a room message was not acked');
        }
        await got.done;
      } finally {
        b.off('message', got.hit);
      }
    };
    const tcp = await peerchatPass(scope, o);
    return interleave(o.trials, o.warmup, o.count, { room, tcp });
  });
}
