/**
 * Scenario 7: bad input on a live peer. A burst of garbage connections, oversized frames and
 * silent connections; afterwards an honest peer still connects and chats, the peer is still
 * running, and its memory stays bounded.
 */
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import t from 'tap';
import { ClassicClient } from './classic-client.js';
import { Cluster } from './harness.js';

const GARBAGE_CONNECTIONS = 150;
const SILENT_CONNECTIONS = 40;
const OVERSIZED_BYTES = 2 * 1024 * 1024; // far beyond the 64 KiB frame limit
/** Short idle/handshake timeouts so silent connections are reaped within the test. */
const TIMEOUTS = { idle: 1500, handshake: 1500 };
const CLOSE_DEADLINE_MS = 8000;
/** Growth of RSS allowed across the whole attack (V8 and sodium buffers settle, nothing piles up). */
const MAX_RSS_GROWTH = 64 * 1024 * 1024;

t.setTimeout(60_000);

const closed = (s: Socket, ms = CLOSE_DEADLINE_MS) =>
  new Promise<void>((resolve, reject) => {
    if (s.destroyed) return resolve();
    const timer = setTimeout(() => reject(new Error(`socket still open after ${ms} ms`)), ms);
    s.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });

/** Garbage of several kinds: random bytes, invalid UTF-8, malformed and unsolicited frames. */
function garbage(i: number, port: number): Buffer | string {
  switch (i % 10) {
    case 0:
      return randomBytes(512);
    case 1:
      return Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0x0a]); // invalid UTF-8
    case 2:
      return 'CONNECT:bad name:notaport\n';
    case 3:
      return 'MESSAGE:x\n';
    case 4:
      return `PEERLIST:${Array.from({ length: 500 }, (_, k) => `10.${k >> 8}.${k & 255}.1:9`).join(',')}\n`;
    case 5:
      return `CONNECT:faker:${port}:peerchat/1\n${randomBytes(256).toString('binary')}`; // fake handshake
    case 6:
      return 'CONNECT:future:1234:peerchat/99\n';
    case 7:
      return `EXIT:${port}\n`; // from nobody connected: must not remove anyone
    case 8:
      return '\n\n\n   \n';
    default:
      return `${'A'.repeat(70_000)}\n`; // one line over the frame limit
  }
}

t.test('garbage, oversized and silent connections leave the peer usable', async (t) => {
  const cluster = new Cluster(t);
  const [target, friend] = await cluster.mesh(2, (i) => ({
    name: ['target', 'friend'][i],
    config: { timeouts: TIMEOUTS },
  }));
  if (!target || !friend) throw new Error('spawn failed');
  const attacker = new ClassicClient('attacker');
  t.teardown(() => attacker.close());
  await attacker.listen();

  const rss = async () => (await target.eval('process.memoryUsage().rss')) as number;
  const before = await rss();

  // silent connections stay open while everything else happens
  const silent = await Promise.all(
    Array.from({ length: SILENT_CONNECTIONS }, () => attacker.raw(target.port, '')),
  );

  for (let round = 0; round < 2; round++) {
    const sockets = await Promise.all(
      Array.from({ length: GARBAGE_CONNECTIONS }, (_, i) =>
        attacker.raw(target.port, garbage(i, friend.port)),
      ),
    );
    for (const s of sockets) s.end();
    await Promise.all(sockets.map((s) => closed(s).catch(() => s.destroy())));
  }

  // an oversized frame without any terminator: the peer must cut it off, not buffer it all
  const big = await attacker.raw(target.port, '');
  const chunk = Buffer.alloc(64 * 1024, 'x');
  let written = 0;
  big.on('error', () => {});
  while (written < OVERSIZED_BYTES && !big.destroyed) {
    if (!big.write(chunk)) {
      await new Promise<void>((resolve) => {
        for (const e of ['drain', 'close', 'error']) big.once(e, () => resolve());
      });
    }
    written += chunk.length;
  }
  await closed(big);
  t.pass(`the peer closed a connection sending ${written} bytes without a frame end`);

  // the honest peers still work, in both directions, while silent connections are open
  await friend.eval(`await peer.send(${JSON.stringify(target.address)}, "after the storm")`);
  t.match(await target.waitFor('message', (e) => e.text === 'after the storm'), {
    from: friend.address,
    protocol: 'native',
  });
  await target.eval(`await peer.send(${JSON.stringify(friend.address)}, "still standing")`);
  await friend.waitFor('message', (e) => e.text === 'still standing' && e.from === target.address);
  const honest = await cluster.spawn({ name: 'honest' });
  const info = (await honest.eval(`await peer.connect(${JSON.stringify(target.address)})`)) as Record<
    string,
    unknown
  >;
  t.match(info, { address: target.address, protocol: 'native' }, 'a new honest peer can still connect');
  await honest.eval(`await peer.send(${JSON.stringify(target.address)}, "hello newcomer")`);
  await target.waitFor('message', (e) => e.text === 'hello newcomer' && e.from === honest.address);

  // the silent connections are reaped by the idle timeout, not kept forever
  await Promise.all(silent.map((s) => closed(s)));
  t.pass(`all ${SILENT_CONNECTIONS} silent connections were closed by the peer`);

  const connected = ((await target.eval('peer.connected().map((x) => x.address)')) as string[]).sort();
  t.same(
    connected,
    [friend.address, honest.address].sort(),
    'garbage added no connected peer and removed none',
  );
  const known = (await target.eval('peer.active().map((x) => x.address)')) as string[];
  t.notOk(
    known.some((a) => a.startsWith('10.')),
    'an unsolicited PEERLIST put no address into the table',
  );

  const after = await rss();
  t.comment(`rss before ${(before / 2 ** 20).toFixed(1)} MiB, after ${(after / 2 ** 20).toFixed(1)} MiB`);
  t.ok(after - before < MAX_RSS_GROWTH, 'memory stayed bounded');
  t.ok(target.running, 'the peer is still running');
  const codes = new Map<string, number>();
  for (const w of target.all('warning')) codes.set(String(w.code), (codes.get(String(w.code)) ?? 0) + 1);
  t.comment(`warnings: ${[...codes].map(([c, n]) => `${c} x${n}`).join(', ')}`);
  t.ok(codes.size > 0, 'bad input was reported as warnings');
  t.same(target.all('error'), [], 'and never as an error event');
  t.same(target.junk, [], 'stdout stayed NDJSON');
});
