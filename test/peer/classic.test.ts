/** The Peer against a raw classic client that speaks exactly the bytes of classic-protocol.md. */
import { connect, type Socket } from 'node:net';
import t, { type Test } from 'tap';
import { Peer } from '../../src/peer/peer.js';
import { RawClassicPeer } from '../helpers/raw-classic.js';
import { until, waitFor } from '../helpers/wait.js';

async function startPeer(t: Test, opts: Partial<ConstructorParameters<typeof Peer>[0]> = {}): Promise<Peer> {
  const peer = new Peer({ name: 'pc', host: '127.0.0.1', port: 0, identity: null, ...opts });
  await peer.listen();
  t.teardown(() => peer.exit());
  return peer;
}

async function startRaw(t: Test, name = 'BlockMiners'): Promise<RawClassicPeer> {
  const raw = new RawClassicPeer(name);
  await raw.listen();
  t.teardown(() => raw.close());
  return raw;
}

t.test('ephemeral port is reported once bound', async (t) => {
  const peer = new Peer({ name: 'pc', host: '127.0.0.1', port: 0 });
  const ev = waitFor(peer, 'listening');
  const info = await peer.listen();
  t.teardown(() => peer.exit());
  t.ok(info.port > 0);
  t.equal(peer.port, info.port);
  t.equal((await ev)[0] && info.port, peer.port);
  t.equal(peer.address, `127.0.0.1:${info.port}`);
});

t.test('a classic peer CONNECTs, gets an ACK, sends MESSAGE, QUERY and EXIT', async (t) => {
  const peer = await startPeer(t);
  const raw = await startRaw(t);
  const s = await raw.open(peer.port, `CONNECT:BlockMiners:${raw.port}`);
  t.equal(await RawClassicPeer.read(s), `ACK:pc:${peer.port}\n`, 'exact ACK bytes');
  await until(() => peer.connectedPeers().length === 1, 5000, 'connected');
  t.same(peer.connectedPeers()[0], {
    address: `127.0.0.1:${raw.port}`,
    name: 'BlockMiners',
    key: null,
    fingerprint: null,
    protocol: 'classic',
    connected: true,
    via: 'tcp',
  });

  const got = waitFor(peer, 'message');
  const m = await raw.open(peer.port, `MESSAGE:BlockMiners:${raw.port}:hello: world`);
  m.end();
  const [msg] = (await got) as [import('../../src/types.js').ChatMessage];
  t.match(msg, {
    from: `127.0.0.1:${raw.port}`,
    name: 'BlockMiners',
    text: 'hello: world',
    protocol: 'classic',
    verified: false,
    direction: 'in',
  });

  const q = await raw.open(peer.port, 'QUERY');
  t.equal(await RawClassicPeer.read(q), `PEERLIST:127.0.0.1:${raw.port}\n`);
  q.destroy();

  const gone = waitFor(peer, 'peer-disconnected');
  s.write(`EXIT:${raw.port}`);
  const [info, reason] = (await gone) as [{ address: string }, string];
  t.equal(reason, 'exit');
  t.equal(info.address, `127.0.0.1:${raw.port}`);
  t.same(peer.connectedPeers(), []);
  t.same(peer.activePeers(), [], 'an exiting peer leaves the active peers too');
});

t.test('peerchat CONNECTs to, messages, QUERYs and EXITs from a classic peer', async (t) => {
  const peer = await startPeer(t);
  const raw = await startRaw(t);
  const info = await peer.connect(`127.0.0.1:${raw.port}`);
  t.match(info, {
    address: `127.0.0.1:${raw.port}`,
    name: 'BlockMiners',
    protocol: 'classic',
    connected: true,
  });
  t.equal(raw.frames[0]?.text, `CONNECT:pc:${peer.port}`, 'no capability hint without an identity');

  const sent = waitFor(raw, 'frame', { filter: (text: unknown) => String(text).startsWith('MESSAGE') });
  const res = await peer.send(`127.0.0.1:${raw.port}`, 'hi: there');
  t.match(res, { state: 'sent', protocol: 'classic', to: `127.0.0.1:${raw.port}` });
  t.equal((await sent)[0], `MESSAGE:pc:${peer.port}:hi: there`);

  const keys = await peer.query('BlockMiners');
  t.same(keys, [], 'the raw peer knows only us, and our own key is dropped');

  const exit = waitFor(raw, 'frame', { filter: (text: unknown) => String(text).startsWith('EXIT') });
  await peer.exit();
  t.equal((await exit)[0], `EXIT:${peer.port}`);
});

t.test('send to an unconnected classic address connects first and resolves names', async (t) => {
  const peer = await startPeer(t);
  const raw = await startRaw(t);
  const got = waitFor(raw, 'frame', { filter: (text: unknown) => String(text).startsWith('MESSAGE') });
  await peer.send(`127.0.0.1:${raw.port}`, 'first');
  t.equal((await got)[0], `MESSAGE:pc:${peer.port}:first`);
  const again = waitFor(raw, 'frame', {
    filter: (text: unknown) => String(text) === `MESSAGE:pc:${peer.port}:by name`,
  });
  await peer.send('BlockMiners', 'by name');
  await again;
  t.pass('sent by name');
});

t.test('a long text is refused with a clear error, never cut', async (t) => {
  const peer = await startPeer(t);
  const raw = await startRaw(t);
  await peer.connect(`127.0.0.1:${raw.port}`);
  await t.rejects(peer.send('BlockMiners', 'x'.repeat(2000)), { code: 'ERR_MESSAGE_TOO_LONG' });
  await t.rejects(peer.send('BlockMiners', 'two\nlines'), { code: 'ERR_MESSAGE_TOO_LONG' });
  await t.rejects(peer.send('nobody', 'x'), { code: 'ERR_UNKNOWN_TARGET' });
  await t.rejects(peer.send('300.1.1.1:5', 'x'), { code: 'ERR_INVALID_ADDRESS' });
});

t.test('PEERLIST from a query adds active peers; unsolicited ones are refused', async (t) => {
  const peer = await startPeer(t);
  const raw = await startRaw(t);
  const other = await startRaw(t, 'other');
  await (await other.open(raw.port, `CONNECT:other:${other.port}`)).once('data', () => {});
  await until(() => raw.connected.size === 1);
  const discovered = waitFor(peer, 'peer-discovered');
  const keys = await peer.query(`127.0.0.1:${raw.port}`);
  t.same(keys, [`127.0.0.1:${other.port}`]);
  await discovered;
  t.ok(peer.activePeers().some((p) => p.address === `127.0.0.1:${other.port}`));

  const warned = waitFor(peer, 'warning', {
    filter: (w: { code: string }) => w.code === 'ERR_UNSOLICITED_PEERLIST',
  });
  const s = await raw.open(peer.port, 'PEERLIST:6.6.6.6:666');
  await warned;
  s.destroy();
  t.notOk(
    peer.activePeers().some((p) => p.address === '6.6.6.6:666'),
    'table untouched',
  );

  const all = await peer.connectAll();
  t.same(all.map((p) => p.address).sort(), [`127.0.0.1:${raw.port}`, `127.0.0.1:${other.port}`].sort());
});

t.test('frames split across reads, several per read, with and without newline', async (t) => {
  const peer = await startPeer(t);
  const texts: string[] = [];
  peer.on('message', (m) => texts.push(m.text));
  const s = await new Promise<import('node:net').Socket>((r) => {
    const c = connect(peer.port, '127.0.0.1', () => r(c));
  });
  s.write('MESSAGE:a:1000:one\nMESSAGE:a:1000:t');
  s.write('wo\nMESSAGE:a:1000:thr');
  await until(() => texts.length === 2);
  s.write('ee\n'); // a newline sender: its frame ends at the newline, however late it comes
  await until(() => texts.length === 3);
  s.end('MESSAGE:a:1000:four');
  await until(() => texts.length === 4);
  // the original sends no newline at all: a quiet gap ends its frame
  const o = await new Promise<import('node:net').Socket>((r) => {
    const c = connect(peer.port, '127.0.0.1', () => r(c));
  });
  o.write('MESSAGE:a:1000:fi');
  o.write('ve');
  await until(() => texts.length === 5, 5000, 'gap flush of an unterminated frame');
  o.destroy();
  t.same(texts, ['one', 'two', 'three', 'four', 'five']);
});

t.test('bad input: warnings, never a crash, tables untouched', async (t) => {
  const peer = await startPeer(t, { limits: { maxFrameBytes: 2048 }, timeouts: { idle: 300 } });
  const warnings: string[] = [];
  peer.on('warning', (w) => warnings.push(w.code));
  const raw = await startRaw(t);
  const bad = [
    Buffer.from([0xff, 0xfe, 0x00, 0x41, 0x0a]),
    'FOO:bar\n',
    'CONNECT:x\n',
    'CONNECT:x:notaport\n',
    'CONNECT:x:99999\n',
    'MESSAGE:bad name:1000:hi\n',
    'EXIT:zz\n',
  ];
  for (const b of bad) (await raw.open(peer.port, b as string)).end();
  const big = await raw.open(peer.port, 'MESSAGE:a:1:' + 'x'.repeat(5000));
  await new Promise((r) => big.once('close', r));
  const silent = await raw.open(peer.port);
  await new Promise((r) => silent.once('close', r));
  await until(() =>
    [
      'ERR_BAD_FRAME',
      'ERR_UNKNOWN_MESSAGE',
      'ERR_INVALID_NAME',
      'ERR_FRAME_TOO_LARGE',
      'ERR_IDLE_TIMEOUT',
    ].every((c) => warnings.includes(c)),
  );
  t.same(peer.activePeers(), [], 'no bad frame changed the tables');
  const ok = waitFor(peer, 'message');
  (await raw.open(peer.port, `MESSAGE:fine:${raw.port}:still works`)).end();
  t.equal(((await ok)[0] as { text: string }).text, 'still works');
});

t.test('a burst of connections is not stalled by the backlog', async (t) => {
  const peer = await startPeer(t, { limits: { maxInbound: 1000 } });
  let n = 0;
  peer.on('message', () => n++);
  const connectTimes: number[] = [];
  await Promise.all(
    Array.from(
      { length: 200 },
      (_, i) =>
        new Promise<void>((resolve, reject) => {
          const started = Date.now();
          const c = connect(peer.port, '127.0.0.1', () => {
            connectTimes.push(Date.now() - started);
            c.end(`MESSAGE:b:2000:m${i}`);
          });
          c.on('error', reject);
          c.on('close', () => resolve());
        }),
    ),
  );
  await until(() => n === 200, 10_000, '200 messages');
  const slowest = Math.max(...connectTimes);
  // a SYN dropped by a full backlog is retransmitted after 1 s: no connect may take that long
  t.ok(slowest < 1000, `the slowest of 200 concurrent connects took ${slowest} ms`);
});

t.test('the cap on concurrent inbound connections holds, with a warning', async (t) => {
  const peer = await startPeer(t, { limits: { maxInbound: 5 } });
  const warned = waitFor(peer, 'warning', {
    filter: (w: { code: string }) => w.code === 'ERR_TOO_MANY_CONNECTIONS',
  });
  const raw = await startRaw(t);
  const open: Socket[] = [];
  for (let i = 0; i < 5; i++) open.push(await raw.open(peer.port));
  // full: the oldest connection that said nothing (of the busiest source) makes room (issue 15 #7)
  const newcomer = await raw.open(peer.port);
  await new Promise((r) => open[0]!.once('close', r));
  t.match(await warned, [{ message: /closed the oldest connection of 127\.0\.0\.1/ }]);
  t.ok(
    open.slice(1).every((s) => !s.destroyed) && !newcomer.destroyed,
    'the others and the newcomer stay open',
  );
  for (const s of [...open, newcomer]) s.destroy();
  // the peer frees the slots when it sees the closes: try until a message gets through
  let got = '';
  peer.on('message', (m) => {
    got = m.text;
  });
  await until(
    async () => {
      if (!got) (await raw.open(peer.port, `MESSAGE:late:${raw.port}:room again`)).end();
      return got !== '';
    },
    5000,
    'a message once slots are free',
  );
  t.equal(got, 'room again', 'slots free up as connections close');
});

t.test('a failed send to a typed address leaves the tables as they were', async (t) => {
  const peer = await startPeer(t);
  const raw = await startRaw(t);
  const port = raw.port;
  await raw.close();
  await t.rejects(peer.send(`127.0.0.1:${port}`, 'anyone?'), { code: 'ERR_PEER_UNREACHABLE' });
  await t.rejects(peer.query(`127.0.0.1:${port}`), { code: 'ERR_PEER_UNREACHABLE' });
  t.same(peer.activePeers(), [], 'nothing was discovered');
});
