import { once } from 'node:events';
import net from 'node:net';
import SecretStream from '@hyperswarm/secret-stream';
import fc from 'fast-check';
import t from 'tap';
import { FrameScanner, MAX_FRAME, PRE_HANDSHAKE_MAX_FRAME } from '../../../src/net/native/guard.js';
import { until, upgradeServer, waitFor } from './helpers.js';

const frame = (len: number, fill = 7) =>
  Buffer.concat([Buffer.from([len & 255, (len >>> 8) & 255, len >>> 16]), Buffer.alloc(len, fill)]);

t.test('scanner: frames within limits pass in any chunking', async (t) => {
  fc.assert(
    fc.property(
      fc.array(fc.nat({ max: 2000 }), { minLength: 1, maxLength: 12 }),
      fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 20 }),
      (lengths, cuts) => {
        const wire = Buffer.concat(lengths.map((l) => frame(l)));
        const scanner = new FrameScanner(3, PRE_HANDSHAKE_MAX_FRAME, MAX_FRAME);
        let pos = 0;
        let i = 0;
        while (pos < wire.byteLength) {
          const n = cuts[i++ % cuts.length] as number;
          if (scanner.scan(wire.subarray(pos, pos + n)) !== -1) return false;
          pos += n;
        }
        return scanner.frames === lengths.length;
      },
    ),
  );
  t.pass('no false alarm');
});

t.test('scanner: the pre-handshake cap applies to the first frames only', async (t) => {
  const s = new FrameScanner(2, 100, 1000);
  t.equal(s.scan(Buffer.concat([frame(100), frame(50)])), -1, 'two small handshake frames');
  t.notOk(s.preHandshake);
  t.equal(s.scan(frame(900)), -1, 'a data frame under the post-handshake cap');
  t.equal(s.scan(Buffer.from([0xe9, 0x03, 0x00])), 1001, 'over the cap, seen from its header alone');

  const pre = new FrameScanner(3, 100, 1000);
  t.equal(pre.scan(Buffer.from([101])), -1, 'a header split over chunks is not judged early');
  t.equal(pre.scan(Buffer.from([0, 0])), 101, 'the completed header is judged');

  const mixed = new FrameScanner(1, 100, 1000);
  t.equal(mixed.scan(Buffer.concat([frame(10), frame(500)])), -1, 'the cap switches inside one chunk');
  t.equal(mixed.scan(Buffer.alloc(0)), -1, 'an empty chunk');
});

const N = 50;
const ANNOUNCE_16MIB = Buffer.from([0xff, 0xff, 0xff]);
const BODY = Buffer.alloc(1024 * 1024, 1); // sent behind the header: what an attacker trickles in

async function attack(port: number, line: string | null): Promise<net.Socket[]> {
  const sockets: net.Socket[] = [];
  for (let i = 0; i < N; i++) {
    const s = net.connect(port, '127.0.0.1');
    s.on('error', () => {});
    await once(s, 'connect');
    s.write(line === null ? ANNOUNCE_16MIB : Buffer.concat([Buffer.from(line), ANNOUNCE_16MIB]));
    s.write(BODY);
    sockets.push(s);
  }
  return sockets;
}

const MiB = 2 ** 20;
const memory = () => {
  const u = process.memoryUsage();
  return { rss: u.rss, arrayBuffers: u.arrayBuffers };
};

t.test('pre-handshake allocation guard: 50 connections announcing 16 MiB', async (t) => {
  const server = await upgradeServer();
  t.teardown(() => server.close());
  const warnings: string[] = [];
  const closed: Promise<unknown>[] = [];
  const before = memory();
  const nextSessions = (async () => {
    for (let i = 0; i < N; i++) {
      const session = await server.next();
      closed.push(
        session.ready.catch((err) => {
          warnings.push(err.code);
        }),
      );
    }
  })();
  const sockets = await attack(server.port, 'CONNECT:x:1:peerchat/1\n');
  t.teardown(() => {
    for (const s of sockets) s.destroy();
  });
  await nextSessions;
  await Promise.all(closed);
  const after = memory();
  t.equal(warnings.length, N, 'every session refused');
  t.ok(
    warnings.every((c) => c === 'ERR_FRAME_TOO_LARGE'),
    'with ERR_FRAME_TOO_LARGE',
  );
  const rss = (after.rss - before.rss) / MiB;
  const ab = (after.arrayBuffers - before.arrayBuffers) / MiB;
  t.comment(`guarded: rss +${rss.toFixed(1)} MiB, arrayBuffers +${ab.toFixed(1)} MiB`);
  t.ok(rss < 64, `resident memory grew ${rss.toFixed(1)} MiB (< 64)`);
  t.ok(ab < 64, `buffer memory grew ${ab.toFixed(1)} MiB (< 64)`);
});

t.test('without the guard, secret-stream allocates what is announced', async (t) => {
  const streams: SecretStream[] = [];
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    const s = new SecretStream(false, socket);
    s.on('error', () => {});
    streams.push(s);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => {
    for (const s of streams) s.destroy();
    server.close();
  });
  const before = memory();
  const sockets = await attack((server.address() as net.AddressInfo).port, null);
  t.teardown(() => {
    for (const s of sockets) s.destroy();
  });
  // wait until the server has read every header and the body behind it
  const deadline = Date.now() + 5000;
  while (streams.reduce((n, s) => n + (s.rawStream.bytesRead as number), 0) < N * (BODY.byteLength + 3)) {
    if (Date.now() > deadline) break;
    await new Promise((r) => setImmediate(r));
  }
  const after = memory();
  const ab = (after.arrayBuffers - before.arrayBuffers) / MiB;
  const rss = (after.rss - before.rss) / MiB;
  t.comment(`unguarded: rss +${rss.toFixed(1)} MiB, arrayBuffers +${ab.toFixed(1)} MiB`);
  t.ok(ab > N * 16 * 0.9, `${ab.toFixed(0)} MiB of buffers held for ${N} connections`);
});

t.test('a frame over MAX_FRAME after the handshake closes the session', async (t) => {
  const server = await upgradeServer();
  t.teardown(() => server.close());
  const next = server.next();
  const socket = net.connect(server.port, '127.0.0.1');
  socket.on('error', () => {});
  await once(socket, 'connect');
  socket.write('CONNECT:x:1:peerchat/1\n');
  await once(socket, 'data'); // the ACK line
  const client = new SecretStream(true, socket);
  client.on('error', () => {});
  t.teardown(() => client.destroy());
  const session = await next;
  const closed = waitFor<[string, Error]>(session, 'close');
  await until(() => session.remoteKey !== null, 5000, 'the server handshake');
  socket.write(Buffer.from([0, 0, 0x10])); // announces 1 MiB, past the handshake
  const [reason, err] = await closed;
  t.equal(reason, 'lost');
  t.equal((err as { code?: string }).code, 'ERR_FRAME_TOO_LARGE');
});
