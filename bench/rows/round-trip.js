/**
 * Round trip: send() to ack, sequential messages, p50 and p99; vs raw TCP ping-pong of a line of
 * the same size (the server echoes the line back).
 */
import {
  HOST,
  metric,
  now,
  payload,
  percentile,
  rawConnect,
  rawServer,
  scoped,
  targets,
} from '../lib/util.js';

export const DEFAULTS = { count: 1000, bytes: 100, warmup: 1000, trials: 3 };

export async function roundTrip(opts = {}) {
  const o = { ...DEFAULTS, ...opts };
  return scoped(async (scope) => {
    const text = payload(o.bytes);
    const a = await scope.peer('pinger');
    const b = await scope.peer('ponger');
    await a.connect(b.address);
    const peerchatOnce = async () => {
      const r = await a.send(b.address, text);
      if (r.state !== 'acked') throw new Error(`send ended ${r.state}`);
    };

    const line = Buffer.from(`${payload(o.bytes)}\n`);
    const { port } = await rawServer(scope, (s) => {
      s.on('data', (chunk) => s.write(chunk)); // echo: the reply is the same size
    });
    const c = await rawConnect(scope, port);
    let waiting = null;
    let got = 0;
    c.on('data', (chunk) => {
      got += chunk.length;
      if (got >= line.length && waiting) {
        got -= line.length;
        const w = waiting;
        waiting = null;
        w();
      }
    });
    const rawOnce = () =>
      new Promise((resolve) => {
        waiting = resolve;
        c.write(line);
      });

    for (let i = 0; i < o.warmup; i++) {
      await peerchatOnce();
      await rawOnce();
    }
    // trials of `count` each, alternating in blocks so a burst of other load hits both sides
    // alike; per side the best trial counts (other load only ever adds latency)
    const trials = { peerchat: [], baseline: [] };
    const block = 100;
    for (let t = 0; t < o.trials; t++) {
      const times = { peerchat: [], baseline: [] };
      for (let done = 0; done < o.count; done += block) {
        const n = Math.min(block, o.count - done);
        for (let i = 0; i < n; i++) times.peerchat.push(await timed(peerchatOnce));
        for (let i = 0; i < n; i++) times.baseline.push(await timed(rawOnce));
      }
      for (const k of ['peerchat', 'baseline']) trials[k].push(summary(times[k]));
    }
    const best = (k, q) => Math.min(...trials[k].map((s) => s[q]));
    return {
      row: 'round-trip',
      metrics: [
        metric('round trip p50 (ms)', 'ms', best('peerchat', 'p50'), best('baseline', 'p50')),
        metric(
          'round trip p99 (ms)',
          'ms',
          best('peerchat', 'p99'),
          best('baseline', 'p99'),
          targets.maxRatio(5),
        ),
      ],
      details: {
        ...o,
        host: HOST,
        peerchat: trials.peerchat,
        baseline: trials.baseline,
        warnings: scope.warningCodes,
      },
    };
  });
}

function summary(times) {
  return {
    p50: percentile(times, 50),
    p90: percentile(times, 90),
    p99: percentile(times, 99),
    max: percentile(times, 100),
  };
}

async function timed(fn) {
  const t0 = now();
  await fn();
  return now() - t0;
}
