/**
 * Store insert throughput, every ratio measured in the same run:
 *   group commit (Store.recordIncoming) vs one transaction per message (same pragmas, same schema);
 *   UUIDv7 vs random UUIDv4 ids through group commit.
 * Run (after npm run build; the writer thread runs the compiled dist/, as users do):
 *   node --import=./node_modules/@tapjs/typescript/dist/esm/import.mjs bench/store.ts [N]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { v4, v7 } from 'uuid';
// dist/, not src/: under the TypeScript loader the writer thread runs several times slower
import { Store } from '../dist/store/store.js';
import type { ChatMessage } from '../src/types.js';

const N = Number(process.argv[2] ?? 50_000); // messages for the group-commit and id runs
const NAIVE_N = Math.min(N, 2000); // one fsync per message: keep this run short
const ROUNDS = 3;
const WINDOW = 1024; // messages in flight at once, as a busy peer would have
let maxBatch = 0;

function message(id: string, i: number): ChatMessage {
  return {
    id,
    from: '127.0.0.1:4000',
    name: 'alice',
    text: `message number ${i} with some ordinary chat text in it`,
    protocol: 'native',
    verified: true,
    key: 'a'.repeat(64),
    fingerprint: 'aaaa:aaaa:aaaa:aaaa',
    ts: Date.now(),
    direction: 'in',
  };
}

function fresh(): { dir: string; store: Store } {
  const dir = mkdtempSync(join(tmpdir(), 'peerchat-bench-'));
  return { dir, store: Store.open({ dataDir: dir }) };
}

async function grouped(
  n: number,
  id: () => string,
): Promise<{ rate: number; tx: number; maxDelayMs: number; cpuUs: number }> {
  const { dir, store } = fresh();
  // how long the event loop is blocked: with the writer thread, commits (and fsyncs) never block it
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      await store.recordIncoming(message(id(), i));
    }
  };
  await Promise.all(Array.from({ length: WINDOW }, worker));
  const ms = performance.now() - start;
  const cpu = process.cpuUsage(cpu0);
  delay.disable();
  const tx = store.stats.transactions;
  maxBatch = Math.max(maxBatch, store.stats.maxBatch ?? 0);
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  return {
    rate: (n / ms) * 1000,
    tx,
    maxDelayMs: delay.max / 1e6,
    cpuUs: (cpu.user + cpu.system) / n,
  };
}

/** The same schema and pragmas, one autocommit transaction (one fsync) per message. */
async function naive(n: number): Promise<number> {
  const { dir, store } = fresh();
  await store.close(); // keep the migrated file, write it directly
  const Database = (await import('better-sqlite3')).default;
  const db = new Database(join(dir, 'peerchat.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  const insert =
    db.prepare(`INSERT INTO messages (id, direction, peer_address, peer_key, fingerprint, verified, name,
    text, ts, protocol, acks, state, created_at, updated_at, queued_at)
    VALUES (?, 'in', ?, ?, ?, 1, ?, ?, ?, 'native', 0, 'acked', ?, ?, ?)`);
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const m = message(v7(), i);
    const now = Date.now();
    insert.run(m.id, m.from, m.key, m.fingerprint, m.name, m.text, m.ts, now, now, now);
    if (i % 64 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  const ms = performance.now() - start;
  db.close();
  rmSync(dir, { recursive: true, force: true });
  return (n / ms) * 1000;
}

const fmt = (x: number) => Math.round(x).toLocaleString('en-US');

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

await grouped(Math.min(N, 5000), v7); // warm-up: JIT and file system caches
const naiveRates: number[] = [];
const groupRates: number[] = [];
const delays: number[] = [];
const cpus: number[] = [];
const v4Rates: number[] = [];
let tx = 0;
// interleaved rounds, medians: a busy machine shifts all runs alike
for (let round = 0; round < ROUNDS; round++) {
  naiveRates.push(await naive(NAIVE_N));
  const g7 = await grouped(N, v7);
  groupRates.push(g7.rate);
  delays.push(g7.maxDelayMs);
  cpus.push(g7.cpuUs);
  tx = g7.tx;
  v4Rates.push((await grouped(N, v4)).rate);
}
const naiveRate = median(naiveRates);
const g7 = median(groupRates);
const g4 = median(v4Rates);
console.log(
  `node ${process.version}, N=${N} (naive N=${NAIVE_N}), ${ROUNDS} interleaved rounds, medians, ${tmpdir()}`,
);
console.log(`one transaction per message : ${fmt(naiveRate)} msg/s`);
console.log(
  `group commit, UUIDv7 ids    : ${fmt(g7)} msg/s (${tx} transactions, largest ${maxBatch}) -> ${(g7 / naiveRate).toFixed(1)}x`,
);
console.log(`group commit, UUIDv4 ids    : ${fmt(g4)} msg/s -> v7/v4 ${(g7 / g4).toFixed(2)}x`);
console.log(
  `group commit, UUIDv7: longest event-loop block ${median(delays).toFixed(1)} ms, CPU ${median(cpus).toFixed(1)} us/msg (all threads)`,
);
