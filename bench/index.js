/**
 * The bench: every row as a function, the table, the machine info and runAll(). bench/run.js is
 * the command line; test/bench/smoke.test.ts runs the rows with tiny counts.
 */
import { cpus, platform, release, totalmem } from 'node:os';
import { classicThroughput } from './rows/classic-throughput.js';
import { cliDefault } from './rows/cli-default.js';
import { discovery } from './rows/discovery.js';
import { fanOut } from './rows/fan-out.js';
import { memory } from './rows/memory.js';
import { nativeThroughput } from './rows/native-throughput.js';
import { roomLog } from './rows/room-log.js';
import { rooms } from './rows/rooms.js';
import { roundTrip } from './rows/round-trip.js';
import { startup } from './rows/startup.js';
import { storeThroughput } from './rows/store-throughput.js';

export {
  classicThroughput,
  cliDefault,
  discovery,
  fanOut,
  memory,
  nativeThroughput,
  roomLog,
  rooms,
  roundTrip,
  startup,
  storeThroughput,
};

/** Rows in table order: id, the function, and the options of a quick run (seconds, no figures to trust). */
export const ROWS = [
  {
    id: 'native-throughput',
    run: nativeThroughput,
    quick: { count: 200, window: 50, warmup: 50, trials: 1 },
  },
  { id: 'store-throughput', run: storeThroughput, quick: { count: 200, window: 50, warmup: 50, trials: 1 } },
  {
    id: 'classic-throughput',
    run: classicThroughput,
    quick: { connections: 40, concurrency: 10, trials: 1 },
  },
  { id: 'round-trip', run: roundTrip, quick: { count: 50, warmup: 10, trials: 1 } },
  { id: 'fan-out', run: fanOut, quick: { peers: 3, rounds: 3, warmup: 1 } },
  { id: 'discovery', run: discovery, quick: { sizes: [3, 4] } },
  { id: 'memory', run: memory, quick: { sessions: 3 } },
  { id: 'startup', run: startup, quick: { runs: 1 } },
  { id: 'cli-default', run: cliDefault, quick: { count: 200, trials: 1 } },
  {
    id: 'rooms',
    run: rooms,
    quick: { sizes: [2, 3], runs: 1, count: 200, window: 50, warmup: 50, trials: 1 },
  },
  {
    id: 'room-log',
    run: roomLog,
    quick: {
      count: 200,
      members: 2,
      fanOutCount: 100,
      window: 50,
      nativeOpts: { count: 200, window: 50, warmup: 50, trials: 1 },
    },
  },
];

export function machineInfo() {
  const cpu = cpus();
  return {
    cpu: cpu[0]?.model ?? 'unknown',
    cores: cpu.length,
    memoryGB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: `${platform()} ${release()}`,
  };
}

/**
 * Run the rows (all, or the ids in `only`) one after another. A row that throws is reported with
 * its error and a failed metric, and the rest still run.
 */
export async function runAll({ quick = false, only = null, onRow = null } = {}) {
  const started = Date.now();
  const rows = [];
  for (const r of ROWS) {
    if (only && !only.includes(r.id)) continue;
    const t0 = performance.now();
    let result;
    try {
      result = await r.run(quick ? r.quick : {});
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      result = {
        row: r.id,
        metrics: [
          {
            metric: r.id,
            unit: '',
            peerchat: null,
            baseline: null,
            ratio: null,
            target: '',
            pass: false,
            note: `error: ${message}`,
          },
        ],
        details: {},
        error: message,
      };
    }
    result.seconds = Math.round(performance.now() - t0) / 1000;
    rows.push(result);
    onRow?.(result);
  }
  const misses = rows.flatMap((r) => r.metrics.filter((m) => m.pass === false).map((m) => m.metric));
  return {
    date: new Date(started).toISOString(),
    seconds: Math.round((Date.now() - started) / 100) / 10,
    quick,
    machine: machineInfo(),
    rows,
    misses,
  };
}

/** The results as a Markdown table: | metric | peerchat | baseline | ratio | target |. */
export function formatTable(results) {
  const lines = ['| metric | peerchat | baseline | ratio | target |', '|---|---|---|---|---|'];
  for (const row of results.rows) {
    for (const m of row.metrics) {
      const verdict = m.pass === true ? 'ok' : m.pass === false ? '**MISSED**' : '';
      const target = [m.target, verdict].filter(Boolean).join(' ');
      const note = m.note ? ` (${m.note})` : '';
      lines.push(
        `| ${m.metric}${note} | ${fmt(m.peerchat, m.unit)} | ${fmt(m.baseline, m.unit)} | ${ratio(m.ratio)} | ${target} |`,
      );
    }
  }
  return lines.join('\n');
}

function fmt(x, unit) {
  if (x === null || x === undefined || Number.isNaN(x)) return '–';
  if (unit === 'count') return String(x);
  if (Math.abs(x) >= 1000) return Math.round(x).toLocaleString('en-US');
  if (Math.abs(x) >= 10) return x.toFixed(1);
  if (Math.abs(x) >= 1) return x.toFixed(2);
  return x.toFixed(3);
}

function ratio(x) {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  return x >= 10 ? `${x.toFixed(1)}×` : `${x.toFixed(2)}×`;
}
