/**
 * The default configuration through the CLI: two real `bin/peerchat` processes with their
 * defaults (store on, synchronous=FULL), a piped script that pipelines `count` 100-byte
 * `peer.send()` calls and clocks them until every promise resolved; vs raw TCP with an ack line
 * per message, all pipelined, in the same run. Also the same pair with the store off
 * (`PEERCHAT_STORE=0`), for the store's cost through the CLI.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { HOST, metric, payload, scoped, targets, WAIT_MS } from '../lib/util.js';
import { rawPass } from './native-throughput.js';

export const DEFAULTS = { count: 20_000, bytes: 100, trials: 2 };
export const BIN = fileURLToPath(new URL('../../bin/peerchat.js', import.meta.url));

export async function cliDefault(opts = {}) {
  const o = { ...DEFAULTS, ...opts };
  return scoped(async (scope) => {
    const receiver = await startReceiver(scope);
    const storeOff = await startReceiver(scope, NO_STORE);
    const baseline = await rawPass(scope, { ...o, window: o.count }, false);
    const runs = { peerchat: [], baseline: [], storeOff: [] };
    let error = null;
    for (let t = 0; t < o.trials; t++) {
      try {
        runs.peerchat.push(await scriptRun(scope, receiver, o));
        runs.storeOff.push(await scriptRun(scope, storeOff, o, NO_STORE));
      } catch (err) {
        error = err instanceof Error ? err.message : String(err);
        break;
      }
      const start = performance.now();
      await baseline(o.count);
      runs.baseline.push(Math.round((o.count * 1000) / (performance.now() - start)));
    }
    if (runs.baseline.length === 0) {
      const start = performance.now();
      await baseline(o.count);
      runs.baseline.push(Math.round((o.count * 1000) / (performance.now() - start)));
    }
    const best = (list) =>
      list.length ? Math.max(...list.map((r) => (typeof r === 'number' ? r : r.rate))) : null;
    return {
      row: 'cli-default',
      metrics: [
        metric(
          'CLI defaults, pipelined sends (msg/s)',
          'msg/s',
          error ? null : best(runs.peerchat),
          best(runs.baseline),
          targets.minRatio(0.15),
          error ? `not measured: ${error}` : undefined,
        ),
        metric(
          'CLI, store on vs store off (msg/s)',
          'msg/s',
          error ? null : best(runs.peerchat),
          error ? null : best(runs.storeOff),
          targets.minRatio(0.6),
          error ? `not measured: ${error}` : undefined,
        ),
      ],
      details: { ...o, peerchat: runs.peerchat, baseline: runs.baseline, storeOff: runs.storeOff, error },
    };
  });
}

/** A default `peerchat --json` process kept running by an open stdin; resolves with its address. */
async function startReceiver(scope, env = {}) {
  const child = spawnPeer(scope, 'bench-rx', [], env);
  const listening = await waitForLine(child, (e) => e.type === 'listening');
  return { child, address: `${HOST}:${listening.port}` };
}

/** The process CPU time (µs, all threads: the store's writer thread too) of a running peer. */
async function cpuOf(child) {
  child.stdin.write('process.cpuUsage()\n');
  const { value } = await waitForLine(child, (e) => e.type === 'result' && typeof e.value?.user === 'number');
  return value.user + value.system;
}

/**
 * One sender process: connect, then `count` sends at once; the script clocks them itself. CPU per
 * message of both processes (all threads) is kept too: other load on the machine moves it less.
 */
async function scriptRun(scope, receiver, o, env = {}) {
  const { address } = receiver;
  const text = payload(o.bytes);
  const script = [
    `await peer.connect(${JSON.stringify(address)})`,
    `await (async () => { const c0 = process.cpuUsage(); const t0 = performance.now(); const r = await Promise.all(Array.from({ length: ${o.count} }, () => peer.send(${JSON.stringify(address)}, ${JSON.stringify(text)}))); const ms = performance.now() - t0; const c = process.cpuUsage(c0); return { ms, cpuUs: c.user + c.system, acked: r.filter((x) => x.state === 'acked').length, states: [...new Set(r.map((x) => x.state))] }; })()`,
  ];
  const rx0 = await cpuOf(receiver.child);
  const child = spawnPeer(scope, 'bench-tx', [], env);
  child.stdin.end(`${script.join('\n')}\n`);
  const result = await waitForLine(
    child,
    (e) => e.type === 'result' && e.value && typeof e.value.ms === 'number',
  );
  // the receiver's share: its `message` events may still be running when the sends resolved, as
  // acks go out before them; the reading waits for its stdin, behind them
  const rxUs = (await cpuOf(receiver.child)) - rx0;
  const { ms, cpuUs, acked, states } = result.value;
  if (acked !== o.count) throw new Error(`${acked} of ${o.count} acked (states: ${states.join(', ')})`);
  const perMsg = (us) => Math.round((us / o.count) * 10) / 10;
  return {
    rate: Math.round((o.count * 1000) / ms),
    ms: Math.round(ms),
    cpuUsPerMsg: { sender: perMsg(cpuUs), receiver: perMsg(rxUs) },
  };
}

/** The store off through the environment, as a user would (`PEERCHAT_STORE=0`). */
const NO_STORE = { PEERCHAT_STORE: '0' };

function spawnPeer(scope, name, args, env = {}) {
  const dataDir = scope.tempDir();
  const child = spawn(
    process.execPath,
    [BIN, '--name', name, '--host', HOST, '--port', '0', '--json', '--data-dir', dataDir, ...args],
    { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } },
  );
  scope.onClose(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  child.stderrText = '';
  child.stderr.on('data', (d) => {
    child.stderrText = (child.stderrText + d).slice(-2000);
  });
  return child;
}

/** The first NDJSON line on stdout matching `pred`; an `error` line or an exit rejects. */
function waitForLine(child, pred, ms = WAIT_MS) {
  return new Promise((resolve, reject) => {
    let buf = '';
    const done = (fn, v) => {
      clearTimeout(timer);
      child.stdout.off('data', onData);
      child.off('exit', onExit);
      fn(v);
    };
    const onData = (d) => {
      buf += d;
      let i = buf.indexOf('\n');
      while (i !== -1) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        i = buf.indexOf('\n');
        let e;
        try {
          e = JSON.parse(line);
        } catch {
          continue;
        }
        if (pred(e)) return done(resolve, e);
        if (e.type === 'error') return done(reject, new Error(`${e.code}: ${e.message}`));
      }
    };
    const onExit = (code, signal) =>
      done(
        reject,
        new Error(`exited (${signal ?? code}) first: ${child.stderrText.trim().split('\n').at(-1)}`),
      );
    const timer = setTimeout(() => done(reject, new Error(`no matching line within ${ms} ms`)), ms);
    child.stdout.on('data', onData);
    child.on('exit', onExit);
  });
}
