/**
 * Start-up: from spawning `node bin/peerchat.js --port 0 --json --data-dir <tmp>` (stdin kept
 * open) to its NDJSON `{"type":"listening"}` line; vs spawning `node -e 0` until it exits. Median
 * of several runs each, alternating, after one unmeasured run that creates the identity.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { median, metric, now, scoped, targets } from '../lib/util.js';

export const DEFAULTS = { runs: 7 };
export const BIN = fileURLToPath(new URL('../../bin/peerchat.js', import.meta.url));
const LISTEN_TIMEOUT_MS = 15_000;

export async function startup(opts = {}) {
  const o = { ...DEFAULTS, ...opts };
  return scoped(async (scope) => {
    const dataDir = scope.tempDir();
    const times = { peerchat: [], baseline: [] };
    let error = null;
    try {
      await startPeerchat(scope, dataDir); // first start creates the identity: not a plain start
      for (let i = 0; i < o.runs; i++) {
        times.peerchat.push(await startPeerchat(scope, dataDir));
        times.baseline.push(await startNode());
      }
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
      if (times.baseline.length === 0) times.baseline.push(await startNode());
    }
    const p = error ? null : median(times.peerchat);
    return {
      row: 'startup',
      metrics: [
        metric(
          'start-up to listening (ms)',
          'ms',
          p,
          median(times.baseline),
          targets.maxRatio(8),
          error ? `not measured: ${error}` : undefined,
        ),
      ],
      details: { ...o, peerchatMs: times.peerchat, baselineMs: times.baseline, error },
    };
  });
}

/** Spawn the CLI and resolve with the ms until its `listening` line; the process is then ended. */
function startPeerchat(scope, dataDir) {
  return new Promise((resolve, reject) => {
    const start = now();
    const child = spawn(process.execPath, [BIN, '--port', '0', '--json', '--data-dir', dataDir], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    scope.onClose(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill();
    });
    let out = '';
    let err = '';
    let done = false;
    const finish = (fn) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      fn();
    };
    const timer = setTimeout(
      () => finish(() => reject(new Error(`no listening line within ${LISTEN_TIMEOUT_MS} ms`))),
      LISTEN_TIMEOUT_MS,
    );
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      out += chunk;
      for (const line of out.split('\n')) {
        if (!line.includes('"listening"')) continue;
        try {
          if (JSON.parse(line).type !== 'listening') continue;
        } catch {
          continue;
        }
        const ms = now() - start;
        finish(() => {
          child.once('exit', () => resolve(ms));
          child.stdin.end(); // a plain end of input; kill if it lingers
          setTimeout(() => child.kill(), 2000).unref();
        });
        return;
      }
    });
    child.stderr.on('data', (chunk) => {
      err += chunk;
    });
    child.once('error', (e) => finish(() => reject(e)));
    child.once('exit', (code, signal) =>
      finish(() => {
        const said = (out + err).trim().split('\n').slice(-1)[0]?.slice(0, 200) ?? '';
        reject(new Error(`peerchat exited (${signal ?? code}) before listening: ${said}`));
      }),
    );
  });
}

function startNode() {
  return new Promise((resolve, reject) => {
    const start = now();
    const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', () => resolve(now() - start));
  });
}
