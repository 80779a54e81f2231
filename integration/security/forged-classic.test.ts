/**
 * Issue 15 #1: forged classic senders. A bare courtesy line names its sender "<ip>:<port>"; a
 * classic sender is the socket's IP with the claimed port, so a line naming another IP is dropped,
 * bots never answer a forged address, and the discovered table stays bounded under a flood.
 * Raw sockets (from 127.0.0.2) and original-style classic peers against a real peerchat process.
 */
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import path from 'node:path';
import t from 'tap';
import { ClassicClient } from '../classic-client.js';
import { Cluster, REPO } from '../harness.js';

const BOT = path.join(REPO, 'plugins', 'bot', 'index.js');
const FLOOD_LINES = 60_000;
/** Unconnected entries the table may hold (src/defaults.ts MAX_DISCOVERED). */
const MAX_DISCOVERED = 1024;

t.setTimeout(90_000);

async function from127002(port: number): Promise<Socket> {
  const s = connect({ host: '127.0.0.1', port, localAddress: '127.0.0.2' });
  s.on('error', () => {});
  await once(s, 'connect');
  return s;
}

async function writeAll(s: Socket, text: string): Promise<void> {
  if (!s.write(text)) await once(s, 'drain');
}

t.test('a bare line naming another IP is dropped; the bot answers only the real sender', async (t) => {
  const cluster = new Cluster(t);
  const target = await cluster.spawn({ name: 'bot', plugins: [BOT] });
  const port = Number(target.address.split(':')[1]);
  const victim = new ClassicClient('victim');
  const original = new ClassicClient('orig');
  await victim.listen();
  await original.listen();
  t.teardown(() => {
    victim.close();
    original.close();
  });

  const attacker = await from127002(port);
  attacker.write(`127.0.0.1:${victim.port} alice !ping\n`);
  const warning = await target.waitFor('warning', (e) =>
    String(e.message).includes(`127.0.0.1:${victim.port}`),
  );
  t.match(String(warning.message), /127\.0\.0\.2/, 'the warning names the socket IP');
  attacker.destroy();

  // an original BlockMiners peer sending !ping one-shot still gets its answer
  await original.message(port, '!ping');
  const pong = await original.waitFrame((r) => r.frame.startsWith('MESSAGE:bot:') && /pong/i.test(r.frame));
  t.ok(pong, `the original peer got ${pong.frame}`);
  t.same(
    victim.received.map((r) => r.frame),
    [],
    'the forged address was neither dialled nor answered',
  );
});

t.test('60,000 forged lines leave a bounded table', async (t) => {
  const cluster = new Cluster(t);
  const target = await cluster.spawn({ name: 'target' });
  const port = Number(target.address.split(':')[1]);
  const before = (await target.eval('peer.active().length')) as number;
  const s = await from127002(port);
  let batch = '';
  for (let i = 0; i < FLOOD_LINES; i++) {
    // half name other IPs (forged), half the socket's own IP with ever new ports
    const ip = i % 2 === 0 ? `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` : '127.0.0.2';
    batch += `${ip}:${(i % 65000) + 1} n${i % 100} x\n`;
    if (batch.length > 32_768) {
      await writeAll(s, batch);
      batch = '';
    }
  }
  // a last line from an honest classic peer shows when the flood was processed
  await writeAll(s, batch);
  s.end();
  await once(s, 'close');
  const honest = new ClassicClient('honest');
  await honest.listen();
  t.teardown(() => honest.close());
  await honest.message(port, 'after the flood');
  await target.waitFor('message', (e) => e.text === 'after the flood', 30_000);
  const entries = (await target.eval('peer.active().length')) as number;
  const forged = (await target.eval(
    'peer.active().filter((p) => p.address.startsWith("10.")).length',
  )) as number;
  t.comment(`table entries: ${before} before, ${entries} after ${FLOOD_LINES} forged lines`);
  t.equal(forged, 0, 'no entry for an IP other than the socket');
  t.ok(entries <= MAX_DISCOVERED, `the table is bounded: ${entries} <= ${MAX_DISCOVERED}`);
  const rss = (await target.eval('process.memoryUsage().rss')) as number;
  t.comment(`target RSS after the flood: ${(rss / 2 ** 20).toFixed(0)} MiB`);
});
