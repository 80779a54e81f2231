/**
 * Memory: RSS growth per connected native session on a listening Peer, measured in a child
 * process (--expose-gc, so garbage does not count) that 100 client Peers of this process connect
 * to, each sending one acked message; vs RSS growth per raw socket, 100 sockets that each send
 * one line.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { HOST, metric, payload, rawConnect, scoped, targets } from '../lib/util.js';

export const DEFAULTS = { sessions: 100 };
const CHILD = fileURLToPath(new URL('../memory-child.js', import.meta.url));
const JOIN_BATCH = 20;
const KB = 1024;

export async function memory(opts = {}) {
  const o = { ...DEFAULTS, ...opts };
  const native = await scoped((scope) => measure(scope, 'native', o.sessions, nativeClients));
  const raw = await scoped((scope) => measure(scope, 'raw', o.sessions, rawClients));
  return {
    row: 'memory',
    metrics: [
      metric(
        `memory per session, ${o.sessions} (KB RSS)`,
        'KB',
        native.perSessionKB,
        raw.perSessionKB,
        targets.maxValue(200, 'KB'),
      ),
    ],
    details: { ...o, native, raw },
  };
}

/** Start the child, measure before and after `n` sessions; per-session growth in KB. */
async function measure(scope, mode, n, clients) {
  const child = fork(CHILD, [mode, scope.tempDir()], { execArgv: ['--expose-gc'], stdio: 'ignore' });
  scope.onClose(() => {
    if (child.exitCode === null) child.kill();
  });
  const next = (type) =>
    new Promise((resolve, reject) => {
      const onMsg = (m) => {
        if (m.type !== type) return;
        child.off('message', onMsg);
        child.off('exit', onExit);
        resolve(m);
      };
      const onExit = (code) => reject(new Error(`memory child (${mode}) exited with ${code}`));
      child.on('message', onMsg);
      child.once('exit', onExit);
    });
  const { port } = await next('ready');
  const sample = async (expect) => {
    const reply = next('memory');
    child.send({ type: 'measure', expect });
    return reply;
  };
  // one session first and gone again, so code loaded on first use is not counted per session
  const warm = await clients(scope, port, 1);
  await warm.close();
  const before = await sample(0);
  const open = await clients(scope, port, n);
  const after = await sample(n);
  await open.close();
  child.disconnect();
  if (after.sessions !== n) throw new Error(`memory child (${mode}) saw ${after.sessions} of ${n} sessions`);
  return {
    before,
    after,
    perSessionKB: (after.rss - before.rss) / n / KB,
    heapPerSessionKB: (after.heapUsed - before.heapUsed) / n / KB,
    externalPerSessionKB: (after.external - before.external) / n / KB,
  };
}

/** `n` client Peers connected to the hub, each with one acked message sent. */
async function nativeClients(scope, port, n) {
  const peers = [];
  for (let i = 0; i < n; i++) peers.push(await scope.peer(`mem${i}`));
  const hub = `${HOST}:${port}`;
  for (let i = 0; i < n; i += JOIN_BATCH) {
    await Promise.all(
      peers.slice(i, i + JOIN_BATCH).map(async (p) => {
        await p.connect(hub);
        await p.send(hub, payload(100));
      }),
    );
  }
  return { close: () => Promise.all(peers.map((p) => p.exit())) };
}

/** `n` raw sockets to the server, each with one 100-byte line written. */
async function rawClients(scope, port, n) {
  const sockets = [];
  const line = `${payload(100)}\n`;
  for (let i = 0; i < n; i++) {
    const s = await rawConnect(scope, port);
    s.write(line);
    sockets.push(s);
  }
  return {
    close: async () => {
      for (const s of sockets) s.destroy();
    },
  };
}
