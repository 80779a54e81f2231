/** Shared helpers of the bench: clocks, statistics, targets, temp dirs, peers and raw sockets. */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadIdentity } from '../../dist/net/native/identity.js';
import { Peer } from '../../dist/peer/peer.js';

export const HOST = '127.0.0.1';
/** Default deadline of one waiting step; a bench that hangs says so instead of running forever. */
export const WAIT_MS = 60_000;

export function now() {
  return performance.now();
}

/** Percentile (0-100) of a list of numbers, nearest rank. */
export function percentile(values, p) {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export function median(values) {
  return percentile(values, 50);
}

/** A text of exactly `bytes` ASCII bytes without line breaks. */
export function payload(bytes, seed = 'peerchat ') {
  return seed.repeat(Math.ceil(bytes / seed.length)).slice(0, bytes);
}

// ---- targets -----------------------------------------------------------------------------------

/** What a metric must reach; `check(metric)` says whether it did. */
export const targets = {
  /** peerchat / baseline ≥ value (throughput). */
  minRatio: (value) => ({
    text: `≥ ${pct(value)} of baseline`,
    check: (m) => m.ratio !== null && m.ratio >= value,
  }),
  /** peerchat / baseline ≤ value (time, latency). */
  maxRatio: (value) => ({ text: `≤ ${value}× baseline`, check: (m) => m.ratio !== null && m.ratio <= value }),
  /** peerchat ≤ value, in the metric's unit. */
  maxValue: (value, unit = '') => ({
    text: `≤ ${value}${unit ? ` ${unit}` : ''}`,
    check: (m) => m.peerchat !== null && m.peerchat <= value,
  }),
  /** peerchat ≥ value, in the metric's unit (counts of failures use maxValue 0). */
  minValue: (value, unit = '') => ({
    text: `≥ ${value}${unit ? ` ${unit}` : ''}`,
    check: (m) => m.peerchat !== null && m.peerchat >= value,
  }),
};

function pct(x) {
  return `${Math.round(x * 100)}%`;
}

/**
 * One line of the table. The ratio is peerchat / baseline; `pass` is null when the row has no
 * target (or no figure).
 */
export function metric(name, unit, peerchat, baseline, target = null, note = undefined) {
  const ratio = peerchat !== null && baseline !== null && baseline !== 0 ? peerchat / baseline : null;
  const m = { metric: name, unit, peerchat, baseline, ratio, target: target?.text ?? '', pass: null };
  if (target && peerchat !== null) m.pass = target.check(m);
  if (note) m.note = note;
  return m;
}

// ---- waiting -----------------------------------------------------------------------------------

/** Resolve once `count` calls of the returned `hit` happened. */
export function counter(count, what = 'events', ms = WAIT_MS) {
  let n = 0;
  let resolve;
  let reject;
  const done = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${n} of ${count} ${what}`)), ms);
  // a row that failed before awaiting `done` must neither wait for the timer nor crash on it
  timer.unref();
  done.catch(() => {});
  const hit = () => {
    n++;
    if (n === count) {
      clearTimeout(timer);
      resolve();
    }
  };
  if (count === 0) {
    clearTimeout(timer);
    resolve();
  }
  return {
    hit,
    done,
    get n() {
      return n;
    },
  };
}

export async function until(cond, what, ms = WAIT_MS) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

// ---- peers -------------------------------------------------------------------------------------

/** Peers, temp dirs and sockets of one row; `close()` ends them all. */
export class Scope {
  constructor() {
    this.peers = [];
    this.dirs = [];
    this.closers = [];
    this.warnings = 0;
    /** Warning codes seen, with counts. */
    this.warningCodes = {};
  }

  tempDir(prefix = 'peerchat-bench-') {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    this.dirs.push(dir);
    return dir;
  }

  /**
   * A listening native Peer on 127.0.0.1:0 with a fresh identity. `opts` are more PeerOptions, or
   * a function of the peer's data directory that returns them (to open a store there).
   */
  async peer(name, opts = {}) {
    const dataDir = this.tempDir();
    const identity = await loadIdentity(dataDir);
    const more = typeof opts === 'function' ? opts(dataDir) : opts;
    const peer = new Peer({ name, host: HOST, port: 0, dataDir, identity, ...more });
    peer.on('warning', (w) => {
      this.warnings++;
      this.warningCodes[w.code] = (this.warningCodes[w.code] ?? 0) + 1;
    });
    this.peers.push(peer);
    await peer.listen();
    return peer;
  }

  onClose(fn) {
    this.closers.push(fn);
  }

  async close() {
    await Promise.allSettled(this.peers.map((p) => p.exit()));
    for (const fn of this.closers.reverse()) {
      try {
        await fn();
      } catch {
        // closing is best effort
      }
    }
    for (const dir of this.dirs) rmSync(dir, { recursive: true, force: true });
    this.peers = [];
    this.dirs = [];
    this.closers = [];
  }
}

/** Run `fn(scope)` and close the scope whatever happens. */
export async function scoped(fn) {
  const scope = new Scope();
  try {
    return await fn(scope);
  } finally {
    await scope.close();
  }
}

// ---- raw sockets -------------------------------------------------------------------------------

/** A plain TCP server on 127.0.0.1:0; `onSocket` gets each accepted socket (noDelay on). */
export async function rawServer(scope, onSocket) {
  const sockets = new Set();
  const server = createServer({ noDelay: true }, (s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.once('close', () => sockets.delete(s));
    onSocket(s);
  });
  server.listen({ host: HOST, port: 0, backlog: 1024 });
  await new Promise((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  scope.onClose(
    () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  );
  return { server, port: server.address().port, sockets };
}

/** A connected client socket (noDelay on), destroyed when the scope closes. */
export function rawConnect(scope, port) {
  return new Promise((resolve, reject) => {
    const s = connect({ host: HOST, port, noDelay: true });
    s.once('connect', () => {
      s.off('error', reject);
      s.on('error', () => {});
      scope.onClose(() => s.destroy());
      resolve(s);
    });
    s.once('error', reject);
  });
}

const NL = 10;

/** Call `onLine(count)` with the number of complete "\n"-ended lines in each chunk. */
export function countLines(socket, onLines) {
  socket.on('data', (chunk) => {
    let n = 0;
    let i = chunk.indexOf(NL);
    while (i !== -1) {
      n++;
      i = chunk.indexOf(NL, i + 1);
    }
    if (n > 0) onLines(n);
  });
}

// ---- trials ------------------------------------------------------------------------------------

/**
 * Time `count`-sized passes of each function in turn, `trials` times, after one `warmup`-sized
 * pass each (JIT). The best trial counts: these machines are shared, and other work only ever
 * makes a trial slower. Returns per function: best rate (per second), all rates, and the CPU time
 * of the process per item in µs (less sensitive to other load than wall time).
 */
export async function interleave(trials, warmup, count, fns) {
  const out = {};
  for (const [k, fn] of Object.entries(fns)) {
    if (warmup > 0) await fn(warmup);
    out[k] = { best: 0, rates: [], cpuUsPerItem: Number.POSITIVE_INFINITY };
  }
  for (let t = 0; t < trials; t++) {
    for (const [k, fn] of Object.entries(fns)) {
      const cpu = process.cpuUsage();
      const start = now();
      await fn(count);
      const ms = now() - start;
      const used = process.cpuUsage(cpu);
      const r = out[k];
      const rate = (count * 1000) / ms;
      r.rates.push(Math.round(rate));
      r.best = Math.max(r.best, rate);
      r.cpuUsPerItem = Math.min(r.cpuUsPerItem, (used.user + used.system) / count);
    }
  }
  return out;
}
