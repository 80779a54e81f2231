/**
 * Rooms against a real DHT. This file re-executes itself inside a loopback-only network namespace
 * (unshare -n) with a 10-node testnet; where unshare is unavailable it skips with the reason.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { netnsTest, type Tap } from '../../integration/helpers/netns.js';

await netnsTest(import.meta.url, main);

async function main(t: Tap): Promise<void> {
  const { interfaces, interfaceTxBytes, recordEgress, startTestnet } = await import(
    '../../integration/helpers/netns.js'
  );
  const { roomTopic } = await import('../../src/rooms/topic.js');
  const { allPairs, makeKeyPair, makePeer, waitFor } = await import('./helpers.js');
  type TestPeer = Awaited<ReturnType<typeof makePeer>>;

  t.setTimeout(120_000);
  const egress = await recordEgress();
  const txBefore = interfaceTxBytes();
  const testnet = await startTestnet();
  const bootstrap = testnet.bootstrap.map((n) => `${n.host}:${n.port}`);
  t.teardown(() => testnet.destroy());

  const peers: TestPeer[] = [];
  const peer = async (opts: Parameters<typeof makePeer>[1] = {}): Promise<TestPeer> => {
    const p = await makePeer(bootstrap, opts);
    peers.push(p);
    return p;
  };
  t.teardown(async () => {
    await Promise.all(peers.map((p) => p.rooms.destroy()));
  });

  t.test('two peers in one room connect, keyed by remote key', async (t) => {
    const a = await peer();
    const b = await peer();
    await Promise.all([a.rooms.join('lobby'), b.rooms.join('lobby')]);
    await waitFor(() => allPairs([a, b]), 10_000, 'a and b connected');
    t.ok(a.open.has(b.key), 'a has b by key');
    t.ok(b.open.has(a.key), 'b has a by key');
    t.equal(a.open.get(b.key)?.remotePublicKey?.toString('hex'), b.key, 'authenticated key');
    const info = a.seen.find((s) => s.info.remoteKey === b.key)?.info;
    t.equal(info?.room, 'lobby', 'info.room names the room');
    t.equal(info?.remoteHost, '127.0.0.1', 'info.remoteHost is the UDP address');
    t.same(a.rooms.rooms(), [{ name: 'lobby', secret: false, peers: 1 }]);
    t.same(a.rooms.roomsOf(b.key), ['lobby']);
    t.same(a.rooms.peers('lobby'), [b.key]);
    await a.rooms.join('lobby'); // a second join is a no-op
    t.equal(a.rooms.rooms().length, 1);
    await t.rejects(a.rooms.join('lobby', { secret: 'other' }), { code: 'ERR_ROOM' });
    await Promise.all([a.rooms.destroy(), b.rooms.destroy()]);
    t.equal(a.open.size + b.open.size, 0, 'destroy closes the connections');
  });

  t.test('three peers: every pair connects', async (t) => {
    const ps = [await peer(), await peer(), await peer()];
    await Promise.all(ps.map((p) => p.rooms.join('trio')));
    const ms = await waitFor(() => allPairs(ps), 10_000, 'all pairs');
    t.pass(`all pairs of 3 connected ${ms} ms after the joins resolved`);
    await Promise.all(ps.map((p) => p.rooms.destroy()));
  });

  t.test('a secret room is not joined by a peer that knows only the name', async (t) => {
    const [a, c] = [await peer(), await peer()]; // know the secret
    const [b, d] = [await peer(), await peer()]; // know only the name
    await Promise.all([
      a.rooms.join('team', { secret: 'hunter2 but longer' }),
      c.rooms.join('team', { secret: 'hunter2 but longer' }),
      b.rooms.join('team'),
      d.rooms.join('team'),
    ]);
    await waitFor(() => allPairs([a, c]) && allPairs([b, d]), 10_000, 'a-c and b-d connected');
    t.same(a.rooms.rooms(), [{ name: 'team', secret: true, peers: 1 }]);
    // what the DHT holds under the name-only topic: b and d, never a or c
    const node = testnet.nodes[0]!;
    const found = new Set<string>();
    for await (const reply of node.lookup(roomTopic('team'))) {
      for (const p of reply.peers) found.add(p.publicKey.toString('hex'));
    }
    t.ok(found.has(b.key) && found.has(d.key), 'name-only peers are announced under the plain topic');
    t.notOk(found.has(a.key) || found.has(c.key), 'secret-room peers are not');
    t.notOk(
      a.open.has(b.key) || a.open.has(d.key) || b.open.has(a.key) || b.open.has(c.key),
      'no cross links',
    );
    t.notOk(
      a.seen.some((s) => s.info.remoteKey === b.key || s.info.remoteKey === d.key),
      'a never even got a connection from b or d',
    );
    await Promise.all([a, b, c, d].map((p) => p.rooms.destroy()));
  });

  t.test('leave withdraws the room and closes its connections', async (t) => {
    const a = await peer();
    const b = await peer();
    await Promise.all([a.rooms.join('hall'), b.rooms.join('hall')]);
    await waitFor(() => allPairs([a, b]), 10_000, 'connected');
    t.same(a.rooms.keysClosedByLeave('hall'), [b.key], 'b would be closed by leaving');
    await a.rooms.leave('hall');
    t.same(a.rooms.rooms(), []);
    t.equal(a.rooms.active, false, 'leaving the last room stops the DHT node');
    await waitFor(() => !b.open.has(a.key), 5_000, 'b sees the close');
    t.pass('b saw the connection close');
    const node = testnet.nodes[0]!;
    const found = new Set<string>();
    for await (const reply of node.lookup(roomTopic('hall'))) {
      for (const p of reply.peers) found.add(p.publicKey.toString('hex'));
    }
    t.notOk(found.has(a.key), 'a is no longer announced');
    t.ok(found.has(b.key), 'b still is');
    await a.rooms.leave('hall'); // leaving again is a no-op
    await a.rooms.join('hall');
    await waitFor(() => allPairs([a, b]), 10_000, 'reconnected after rejoining');
    t.pass('rejoining connects again');
    await Promise.all([a.rooms.destroy(), b.rooms.destroy()]);
  });

  t.test('leaving one of two rooms keeps the peers of the other', async (t) => {
    const a = await peer();
    const b = await peer();
    const c = await peer();
    await Promise.all([a.rooms.join('one'), a.rooms.join('two'), b.rooms.join('one'), c.rooms.join('two')]);
    await waitFor(() => a.open.has(b.key) && a.open.has(c.key), 10_000, 'a connected to b and c');
    await waitFor(
      () => a.rooms.roomsOf(b.key).includes('one') && a.rooms.roomsOf(c.key).includes('two'),
      10_000,
      'rooms known',
    );
    t.same(a.rooms.keysClosedByLeave('one'), [b.key]);
    await a.rooms.leave('one');
    await waitFor(() => !a.open.has(b.key), 5_000, 'b closed');
    t.ok(a.open.has(c.key), 'c stays');
    t.same(
      a.rooms.rooms().map((r) => r.name),
      ['two'],
    );
    await Promise.all([a, b, c].map((p) => p.rooms.destroy()));
  });

  t.test('the watchdog destroys connections whose channel never opens', async (t) => {
    const a = await peer({ markOpen: false, watchdogMs: 300 });
    const b = await peer({ markOpen: false, watchdogMs: 300 });
    const fired = new Promise<string>((resolve) => a.rooms.once('watchdog', resolve));
    const start = Date.now();
    await Promise.all([a.rooms.join('mute'), b.rooms.join('mute')]);
    t.equal(await fired, b.key, 'watchdog fired for b');
    const seenConn = a.seen.find((s) => s.info.remoteKey === b.key)?.conn;
    await waitFor(() => seenConn?.destroyed === true, 2_000, 'connection destroyed');
    t.ok(Date.now() - start < 10_000, 'within the bound');
    t.same(a.rooms.rooms(), [{ name: 'mute', secret: false, peers: 0 }], 'not counted as a peer');
    await Promise.all([a.rooms.destroy(), b.rooms.destroy()]);
  });

  t.test('a handler that throws or rejects closes only that connection', async (t) => {
    const a = await peer({
      onConnection() {
        throw new Error('boom');
      },
    });
    const b = await peer();
    const warned = new Promise((resolve) => a.rooms.once('warning', resolve));
    await Promise.all([a.rooms.join('oops'), b.rooms.join('oops')]);
    t.match(await warned, { code: 'ERR_ROOM', cause: { message: 'boom' } });
    const conn = a.seen[0]?.conn;
    await waitFor(() => conn?.destroyed === true, 2_000, 'the connection closed');
    t.same(a.rooms.rooms(), [{ name: 'oops', secret: false, peers: 0 }], 'the room itself carries on');
    await Promise.all([a.rooms.destroy(), b.rooms.destroy()]);
  });

  t.test('a join whose bootstrap nodes never answer fails with a clear error', async (t) => {
    const a = await makePeer(['127.0.0.1:9'], {});
    peers.push(a);
    await t.rejects(a.rooms.join('nowhere'), {
      code: 'ERR_ROOM',
      message: /no DHT node answered.*127\.0\.0\.1:9/,
    });
    t.same(a.rooms.rooms(), [], 'the room is not kept');
    t.equal(a.rooms.active, false, 'no DHT node is left running');
  });

  t.test('join after destroy is refused', async (t) => {
    const a = await peer();
    await a.rooms.destroy();
    await t.rejects(a.rooms.join('late'), { code: 'ERR_CLOSED' });
  });

  const spawnPeer = (seed: string, room: string): ChildProcess => {
    const child = spawn(
      process.execPath,
      [...process.execArgv, fileURLToPath(new URL('./fixtures/room-peer.ts', import.meta.url))],
      {
        env: { ...process.env, ROOM_PEER: JSON.stringify({ bootstrap, seed, room }) },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    children.push(child);
    return child;
  };
  const children: ChildProcess[] = [];
  t.teardown(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });

  t.test('a peer restarted with the same key replaces its stale connection', async (t) => {
    const seed = randomBytes(32).toString('hex');
    const bKey = (await makeKeyPair(Buffer.from(seed, 'hex'))).publicKey.toString('hex');
    // a long silence timeout, so the stale connection is still there when the new one arrives
    const a = await peer({ sessionTimeoutMs: 60_000 });
    await a.rooms.join('restart');
    const b1 = spawnPeer(seed, 'restart');
    await waitFor(() => a.open.has(bKey), 15_000, 'a-b1');
    const stale = a.open.get(bKey)!;
    const replaced: string[] = [];
    a.rooms.on('replaced', (key) => replaced.push(key));
    b1.kill('SIGKILL');
    const killedAt = Date.now();
    spawnPeer(seed, 'restart');
    await waitFor(() => a.open.has(bKey) && a.open.get(bKey) !== stale, 30_000, 'a-b2');
    t.comment(`the restarted peer reconnected ${Date.now() - killedAt} ms after the kill`);
    t.ok(stale.destroyed, 'the stale connection is gone');
    await waitFor(() => replaced.length > 0, 5_000, 'the replaced event');
    t.same(replaced, [bKey], 'replaced was reported once, for the key');
    t.same(a.rooms.peers('restart'), [bKey], 'one connection per key');
    await a.rooms.destroy();
  });

  t.test('a killed peer is lost within 10 s', async (t) => {
    const seed = randomBytes(32).toString('hex');
    const bKey = (await makeKeyPair(Buffer.from(seed, 'hex'))).publicKey.toString('hex');
    const a = await peer();
    await a.rooms.join('crash');
    const b = spawnPeer(seed, 'crash');
    await waitFor(() => a.open.has(bKey), 30_000, 'a-b');
    const live = a.open.get(bKey)!;
    b.kill('SIGKILL');
    const lostMs = await waitFor(() => live.destroyed, 10_000, 'the killed peer to be lost');
    t.ok(lostMs <= 10_000, `lost ${lostMs} ms after SIGKILL (keepalive 2 s, timeout 6 s)`);
    await a.rooms.destroy();
  });

  t.test('no socket left the loopback range', async (t) => {
    const dest = egress.destinations();
    t.ok(dest.length > 0, `destinations were recorded (${dest.join(', ')})`);
    t.same(egress.outside(), [], 'every destination is in 127.0.0.0/8');
    t.same(interfaces(), ['lo'], 'the namespace has only loopback');
    const tx = interfaceTxBytes();
    t.ok((tx.lo ?? 0) > (txBefore.lo ?? 0), 'traffic went over lo');
    egress.restore();
  });
}
