/**
 * The measured side of the memory row, run with --expose-gc in its own process so its RSS holds
 * nothing but the listener and the sessions. Talks to the bench over IPC:
 *   child → { type: 'ready', port }            after listen
 *   bench → { type: 'measure', expect }         wait until exactly `expect` sessions are open, gc, report
 *   child → { type: 'memory', rss, heapUsed, external, arrayBuffers, sessions }
 * argv[2]: 'native' (a Peer) or 'raw' (a plain net server).
 */
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

const mode = process.argv[2];
const dataDir = process.argv[3];
let count = () => 0;

if (mode === 'native') {
  const { loadIdentity } = await import('../dist/net/native/identity.js');
  const { Peer } = await import('../dist/peer/peer.js');
  const identity = await loadIdentity(dataDir);
  // every client dials from 127.0.0.1: lift the per-IP cap (32 by default, meant for strangers)
  const peer = new Peer({
    name: 'memory-hub',
    host: '127.0.0.1',
    port: 0,
    dataDir,
    identity,
    limits: { maxInboundPerIp: 1024 },
  });
  await peer.listen();
  count = () => peer.connectedPeers().length;
  process.send({ type: 'ready', port: peer.port });
} else {
  const sockets = new Set();
  const server = createServer({ noDelay: true }, (s) => {
    sockets.add(s);
    s.on('data', () => {});
    s.on('error', () => {});
    s.once('close', () => sockets.delete(s));
  });
  await new Promise((resolve) => server.listen({ host: '127.0.0.1', port: 0, backlog: 1024 }, resolve));
  count = () => sockets.size;
  process.send({ type: 'ready', port: server.address().port });
}

async function settle() {
  for (let i = 0; i < 4; i++) {
    globalThis.gc();
    await sleep(20);
  }
}

process.on('message', async (msg) => {
  if (msg.type !== 'measure') return;
  const end = Date.now() + 30_000;
  while (count() !== msg.expect && Date.now() < end) await sleep(10);
  await settle();
  const m = process.memoryUsage();
  process.send({
    type: 'memory',
    rss: m.rss,
    heapUsed: m.heapUsed,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
    sessions: count(),
  });
});
process.on('disconnect', () => process.exit(0));
