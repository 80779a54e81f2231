/** The listener's limits, pinned through real loopback Peers: handshakes, peer lists, a port in use. */
import { connect, createServer, type Socket } from 'node:net';
import t, { type Test } from 'tap';
import type { Warning } from '../../src/errors.js';
import { CAPABILITY } from '../../src/net/native/session.js';
import { Peer } from '../../src/peer/peer.js';
import { nativePeer } from '../helpers/peers.js';
import { until, waitFor } from '../helpers/wait.js';

t.test(
  'maxUnauthenticated: handshakes beyond the cap are refused with a warning; a freed slot admits',
  async (t) => {
    const b = await nativePeer(t, 'bob', { limits: { maxUnauthenticated: 1 } });
    const a = await nativePeer(t, 'alice');
    // a client that asks for the upgrade and then never starts the handshake holds the one slot
    const stalled: Socket = connect(b.port, '127.0.0.1');
    stalled.on('error', () => {});
    t.teardown(() => stalled.destroy());
    await new Promise<void>((r) => stalled.once('connect', () => r()));
    const acked = new Promise<string>((r) => stalled.once('data', (d) => r(d.toString('utf8'))));
    stalled.write(`CONNECT:stall:1:${CAPABILITY}\n`);
    t.match(await acked, `ACK:bob:${b.port}:${CAPABILITY}`);

    const refused = waitFor(b, 'warning', {
      filter: (w: Warning) => w.code === 'ERR_TOO_MANY_CONNECTIONS',
    });
    await t.rejects(a.connect(b.address));
    const [w] = (await refused) as [Warning];
    t.match(w.message, /handshakes? .*in progress/);
    t.same(b.connectedPeers(), []);

    stalled.destroy();
    await until(
      async () => {
        try {
          await a.connect(b.address);
          return true;
        } catch {
          return false;
        }
      },
      10_000,
      'the slot to be freed',
    );
    t.equal(a.connectedPeers().length, 1);
  },
);

/** A socket from `ip` that asks for the upgrade, gets the ACK, and never starts the handshake. */
async function stall(t: Test, port: number, ip: string): Promise<Socket | null> {
  const s = connect({ port, host: '127.0.0.1', localAddress: ip });
  s.on('error', () => {});
  t.teardown(() => s.destroy());
  await new Promise<void>((r) => s.once('connect', () => r()));
  const answer = new Promise<boolean>((r) => {
    s.once('data', () => r(true));
    s.once('close', () => r(false));
  });
  s.write(`CONNECT:stall:1:${CAPABILITY}\n`);
  return (await answer) ? s : null;
}

t.test('all slots held: a newcomer from a quiet IP takes the oldest slot of the busiest', async (t) => {
  const b = await nativePeer(t, 'bob', { limits: { maxUnauthenticated: 16 } });
  const warnings: Warning[] = [];
  b.on('warning', (w: Warning) => warnings.push(w));
  for (let ip = 2; ip < 10; ip++) {
    t.ok(await stall(t, b.port, `127.0.0.${ip}`));
    t.ok(await stall(t, b.port, `127.0.0.${ip}`));
  }
  t.equal(await stall(t, b.port, '127.0.0.2'), null, 'a busy IP gets no more (its own are no older)');
  const a = await nativePeer(t, 'alice');
  await a.connect(b.address);
  t.equal(a.connectedPeers().length, 1);
  t.ok(
    warnings.some((w) =>
      /closed the oldest unfinished handshake of 127\.0\.0\.\d for a newcomer/.test(w.message),
    ),
  );
});

/** A stranger that answers QUERY with `keys` as its PEERLIST; resolves to its port. */
async function peerlistServer(t: Test, keys: string[]): Promise<number> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.on('data', (d) => {
      if (d.toString('utf8').trim() === 'QUERY') s.write(`PEERLIST:${keys.join(',')}`);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return (server.address() as { port: number }).port;
}

t.test('maxPeerlistKeys: a PEERLIST beyond the cap is cut, with a warning', async (t) => {
  const keys = Array.from({ length: 6 }, (_, i) => `127.0.0.1:${2000 + i}`);
  const port = await peerlistServer(t, keys);
  const peer = new Peer({ name: 'pc', host: '127.0.0.1', identity: null, limits: { maxPeerlistKeys: 3 } });
  await peer.listen();
  t.teardown(() => peer.exit());
  const warned = waitFor(peer, 'warning', { filter: (w: Warning) => w.code === 'ERR_BAD_FRAME' });
  const learned = await peer.query(`127.0.0.1:${port}`);
  t.same(learned, keys.slice(0, 3));
  const [w] = (await warned) as [Warning];
  t.match(w.message, /more than 3 keys/);
  t.same(
    peer
      .activePeers()
      .map((p) => p.address)
      .sort(),
    [`127.0.0.1:${port}`, ...keys.slice(0, 3)].sort(),
    'the queried peer and the first three keys, nothing more',
  );
});

t.test('a PEERLIST naming this peer by another spelling (::ffff:7f00:1) is not dialled', async (t) => {
  const peer = await nativePeer(t, 'me');
  const spellings = [`[::ffff:7f00:1]:${peer.port}`, `[0:0:0:0:0:ffff:7f00:0001]:${peer.port}`];
  await peer.query(`127.0.0.1:${await peerlistServer(t, spellings)}`);
  await peer.connectAll();
  t.same(peer.connectedPeers(), [], 'no session with itself');
  t.notOk(
    peer.activePeers().some((p) => p.key === peer.id),
    'and no entry with its own key',
  );
});

t.test('starting on a port in use fails with ERR_LISTEN, keeping the cause', async (t) => {
  const first = new Peer({ name: 'one', host: '127.0.0.1', identity: null });
  await first.listen();
  t.teardown(() => first.exit());
  const second = new Peer({ name: 'two', host: '127.0.0.1', port: first.port, identity: null });
  t.teardown(() => second.exit());
  const err = await second.listen().then(
    () => null,
    (e: unknown) => e as { code: string; message: string; cause?: { code?: string } },
  );
  t.match(err, { code: 'ERR_LISTEN', message: new RegExp(`127\\.0\\.0\\.1:${first.port}`) });
  t.equal(err?.cause?.code, 'EADDRINUSE');
});
