import { once } from 'node:events';
import net from 'node:net';
import t from 'tap';
import { dialNative, dialNativeEager, dialRaw, timeouts, until, upgradeServer, waitFor } from './helpers.js';

t.test('upgrade on a real socket: hello, chat and ack both ways', async (t) => {
  const server = await upgradeServer();
  t.teardown(() => server.close());
  const next = server.next();
  const client = await dialNative(server.port);
  t.teardown(() => client.destroy());
  const srv = await next;
  const [hs, hc] = await Promise.all([client.ready, srv.ready]);
  t.equal(hs.name, 'server');
  t.equal(hc.name, 'client');
  t.equal(srv.remoteHost, '127.0.0.1');
  t.equal(client.remoteKey?.length, 64);
  srv.on('chat', (_c, ack) => ack());
  client.on('chat', (_c, ack) => ack());
  await client.sendChat({ id: 'c1', ts: Date.now(), text: 'to server' });
  await srv.sendChat({ id: 's1', ts: Date.now(), text: 'to client' });
  t.pass('acked both ways');
});

t.test('Noise bytes in the same read as the upgrade line (leftover) are not lost', async (t) => {
  const server = await upgradeServer({}, { ack: false });
  t.teardown(() => server.close());
  const next = server.next();
  const client = await dialNativeEager(server.port);
  t.teardown(() => client.destroy());
  const srv = await next;
  await Promise.all([client.ready, srv.ready]);
  t.ok(srv.guard && srv.guard.scanner.frames >= 3, 'the leftover went through the guard');
  srv.on('chat', (_c, ack) => ack());
  await client.sendChat({ id: 'x', ts: 1, text: 'after an eager start' });
  t.pass('acked');
});

t.test('a killed peer (socket gone without EXIT) is "lost" at once', async (t) => {
  const server = await upgradeServer();
  t.teardown(() => server.close());
  const next = server.next();
  const client = await dialNative(server.port);
  const srv = await next;
  await Promise.all([client.ready, srv.ready]);
  const closed = waitFor<[string, Error]>(srv, 'close', 2000);
  (client.stream.rawStream.socket as net.Socket).destroy(); // like SIGKILL: FIN/RST, no EXIT
  const [reason] = await closed;
  t.equal(reason, 'lost');
  client.destroy();
});

/** A TCP relay that can go silent in both directions, like a pulled cable. */
async function blackholeProxy(target: number) {
  let silent = false;
  const sockets: net.Socket[] = [];
  const proxy = net.createServer((inbound) => {
    const outbound = net.connect(target, '127.0.0.1');
    sockets.push(inbound, outbound);
    for (const s of [inbound, outbound]) s.on('error', () => {});
    inbound.on('data', (d) => silent || outbound.write(d));
    outbound.on('data', (d) => silent || inbound.write(d));
  });
  proxy.listen(0, '127.0.0.1');
  await once(proxy, 'listening');
  return {
    port: (proxy.address() as net.AddressInfo).port,
    silence: () => {
      silent = true;
    },
    close: () => {
      for (const s of sockets) s.destroy();
      proxy.close();
    },
  };
}

t.test('keepalive: a vanished peer is "lost" within timeouts.session; an idle live one stays', async (t) => {
  const short = timeouts({ keepAlive: 100, session: 600 });
  const server = await upgradeServer({ timeouts: short });
  t.teardown(() => server.close());
  const proxy = await blackholeProxy(server.port);
  t.teardown(() => proxy.close());
  const next = server.next();
  const client = await dialNative(proxy.port, { timeouts: short });
  t.teardown(() => client.destroy());
  const srv = await next;
  await Promise.all([client.ready, srv.ready]);

  // idle but alive for more than three session timeouts: keepalives keep it open
  const idleUntil = Date.now() + 1500;
  await until(() => Date.now() > idleUntil || srv.closed || client.closed, 3000);
  t.notOk(srv.closed || client.closed, 'an idle session with keepalives stays open');

  const closed = waitFor<[string, Error]>(srv, 'close', 3000);
  const silencedAt = Date.now();
  proxy.silence();
  const [reason, err] = await closed;
  const after = Date.now() - silencedAt;
  t.equal(reason, 'lost');
  t.equal((err as { code?: string }).code, 'ERR_IDLE_TIMEOUT');
  t.ok(after < 600 + 1400, `dropped after ${after} ms (session timeout 600 ms)`);
});

t.test('garbage after the upgrade closes only that session', async (t) => {
  const server = await upgradeServer();
  t.teardown(() => server.close());
  const goodNext = server.next();
  const good = await dialNative(server.port);
  t.teardown(() => good.destroy());
  const goodSrv = await goodNext;
  await Promise.all([good.ready, goodSrv.ready]);
  goodSrv.on('chat', (_c, ack) => ack());

  for (const garbage of ['this is not noise at all\n', '\x05\x00\x00hello', '\x00\x00\x00\x00\x00\x00']) {
    const next = server.next();
    const { socket } = await dialRaw(server.port);
    t.teardown(() => socket.destroy());
    const bad = await next;
    socket.write(garbage);
    const err = await bad.ready.then(
      () => null,
      (e) => e,
    );
    t.ok(
      err && ['ERR_FRAME_TOO_LARGE', 'ERR_HANDSHAKE_FAILED'].includes(err.code),
      `${JSON.stringify(garbage)}: ${err?.code}`,
    );
    t.ok(bad.closed);
  }
  await good.sendChat({ id: 'g', ts: 1, text: 'still here' });
  t.pass('the good session is untouched');
});

t.test('a dialer that never starts Noise times out (ERR_HANDSHAKE_TIMEOUT)', async (t) => {
  const server = await upgradeServer({ timeouts: timeouts({ handshake: 200 }) });
  t.teardown(() => server.close());
  const next = server.next();
  const { socket } = await dialRaw(server.port);
  t.teardown(() => socket.destroy());
  const srv = await next;
  await t.rejects(srv.ready, { code: 'ERR_HANDSHAKE_TIMEOUT' });
  await until(() => socket.destroyed || socket.readableEnded, 2000, 'the socket to close');
  t.pass('the socket was closed');
});

t.test('verifyKey refusal on a real socket', async (t) => {
  const { PeerchatError } = await import('../../../src/errors.js');
  const server = await upgradeServer({
    verifyKey: () => new PeerchatError('ERR_NOT_ALLOWED', 'not in the allow list'),
  });
  t.teardown(() => server.close());
  const next = server.next();
  const client = await dialNative(server.port);
  t.teardown(() => client.destroy());
  const srv = await next;
  await t.rejects(srv.ready, { code: 'ERR_NOT_ALLOWED' });
  await t.rejects(client.ready, 'the dialer does not get a session either');
});

t.test('exit on a real socket', async (t) => {
  const server = await upgradeServer();
  t.teardown(() => server.close());
  const next = server.next();
  const client = await dialNative(server.port);
  const srv = await next;
  await Promise.all([client.ready, srv.ready]);
  const remote = waitFor<[string]>(srv, 'close');
  await client.exit();
  t.equal((await remote)[0], 'exit');
  t.ok(client.closed);
});
