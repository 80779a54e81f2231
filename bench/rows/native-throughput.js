/**
 * Native throughput: 100-byte chat messages pipelined on one native session, from send() to the
 * receiver's 'message' event, acks included; vs raw TCP lines with an ack line back per message.
 */
import { counter, interleave, metric, payload, rawConnect, rawServer, scoped, targets } from '../lib/util.js';

export const DEFAULTS = { count: 20_000, window: 1000, bytes: 100, warmup: 5000, trials: 3 };

/** Options: counts (DEFAULTS), `peerOptions` for both Peers (see Scope.peer), `target` ratio. */
export async function nativeThroughput(opts = {}) {
  const o = { ...DEFAULTS, ...opts };
  return scoped(async (scope) => {
    const peerchat = await peerchatPass(scope, o);
    const baseline = await rawPass(scope, o, false);
    const corked = await rawPass(scope, o, true);
    const runs = await interleave(o.trials, o.warmup, o.count, { peerchat, baseline, corked });
    return {
      row: 'native-throughput',
      metrics: [
        metric(
          'native throughput (msg/s)',
          'msg/s',
          runs.peerchat.best,
          runs.baseline.best,
          targets.minRatio(o.target ?? 0.2),
        ),
      ],
      details: {
        count: o.count,
        window: o.window,
        bytes: o.bytes,
        trials: o.trials,
        ...runs,
        warnings: scope.warningCodes,
      },
    };
  });
}

/**
 * The per-sender rate limit (10,000 msg/s and 1 MiB/s, 5 s of burst by default) guards against a
 * stranger's flood; these rows measure the protocol and the store, so both ends lift it. Without
 * this, three trials of 25,000 messages empty the burst and the receiver refuses the rest.
 */
const UNCAPPED = { messagesPerSecond: 1e9, bytesPerSecond: 1e12 };

/**
 * Two Peers (with `o.peerOptions`, and the rate limit lifted), connected; returns a function that sends `count` messages
 * A → B, `o.window` at a time, and resolves once all were received and acked.
 */
export async function peerchatPass(scope, o) {
  const text = payload(o.bytes);
  const options = (dataDir) => {
    const more = typeof o.peerOptions === 'function' ? o.peerOptions(dataDir) : (o.peerOptions ?? {});
    return { ...more, limits: { ...UNCAPPED, ...more.limits } };
  };
  const a = await scope.peer('sender', options);
  const b = await scope.peer('receiver', options);
  await a.connect(b.address);
  const target = b.address;
  return async (count) => {
    const got = counter(count, 'messages');
    b.on('message', got.hit);
    try {
      for (let sent = 0; sent < count; sent += o.window) {
        const n = Math.min(o.window, count - sent);
        const batch = new Array(n);
        for (let i = 0; i < n; i++) batch[i] = a.send(target, text);
        const results = await Promise.all(batch);
        if (results.some((r) => r.state !== 'acked')) throw new Error('a message was not acked');
      }
      await got.done;
    } finally {
      b.off('message', got.hit);
    }
  };
}

/**
 * The raw baseline: one write of one line per message, one write of a 2-byte ack line back per
 * message (as docs performance.md measured raw TCP). With `cork`, both ends batch a burst into one
 * write instead, as the native session does; that variant is only reported in the details.
 */
export async function rawPass(scope, o, cork) {
  const line = Buffer.from(`${payload(o.bytes)}\n`);
  const ack = Buffer.from('k\n');
  let received = 0;
  const { port } = await rawServer(scope, (s) => {
    // a line split across chunks is fine: only newlines are counted
    s.on('data', (chunk) => {
      if (cork) s.cork();
      let i = chunk.indexOf(10);
      while (i !== -1) {
        received++;
        s.write(ack);
        i = chunk.indexOf(10, i + 1);
      }
      if (cork) s.uncork();
    });
  });
  const c = await rawConnect(scope, port);
  let onAcks = null;
  c.on('data', (chunk) => {
    let n = 0;
    let i = chunk.indexOf(10);
    while (i !== -1) {
      n++;
      i = chunk.indexOf(10, i + 1);
    }
    onAcks?.(n);
  });
  return async (count) => {
    received = 0;
    for (let sent = 0; sent < count; sent += o.window) {
      const n = Math.min(o.window, count - sent);
      const acked = counter(n, 'acks');
      onAcks = (k) => {
        for (let j = 0; j < k; j++) acked.hit();
      };
      if (cork) c.cork();
      for (let i = 0; i < n; i++) c.write(line);
      if (cork) c.uncork();
      await acked.done;
    }
    if (received !== count) throw new Error(`raw server saw ${received} of ${count} lines`);
  };
}
