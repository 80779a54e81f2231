/** Two peerchat peers upgrade to the native protocol on the same port. */
import t from 'tap';
import { CAPABILITY } from '../../src/net/native/session.js';
import type { ChatMessage, PeerInfo } from '../../src/types.js';
import { nativePeer, tempDir } from '../helpers/peers.js';
import { RawClassicPeer } from '../helpers/raw-classic.js';
import { until, waitFor } from '../helpers/wait.js';

t.test('connect upgrades to native; messages are acked both ways and verified', async (t) => {
  const a = await nativePeer(t, 'alice');
  const b = await nativePeer(t, 'bob');
  const bSees = waitFor<[PeerInfo]>(b, 'peer-connected');
  const info = await a.connect(b.address);
  t.match(info, {
    address: b.address,
    name: 'bob',
    protocol: 'native',
    key: b.id,
    fingerprint: b.fingerprint,
    connected: true,
  });
  const [seen] = await bSees;
  t.match(seen, { address: a.address, name: 'alice', protocol: 'native', key: a.id });

  const got = waitFor<[ChatMessage]>(b, 'message');
  const res = await a.send('bob', 'hello: bob');
  t.match(res, { state: 'acked', protocol: 'native', to: b.address });
  const [msg] = await got;
  t.match(msg, {
    id: res.id,
    from: a.address,
    name: 'alice',
    text: 'hello: bob',
    protocol: 'native',
    verified: true,
    key: a.id,
  });

  const back = waitFor<[ChatMessage]>(a, 'message');
  t.match(await b.send(a.address, 'hi alice'), { state: 'acked' });
  t.equal((await back)[0].text, 'hi alice');

  // sending and receiving at the same time, many in flight
  const n = 500;
  let ra = 0;
  let rb = 0;
  a.on('message', () => ra++);
  b.on('message', () => rb++);
  const all = await Promise.all([
    ...Array.from({ length: n }, (_, i) => a.send('bob', `a${i}`)),
    ...Array.from({ length: n }, (_, i) => b.send('alice', `b${i}`)),
  ]);
  t.ok(
    all.every((r) => r.state === 'acked'),
    `${2 * n} concurrent messages acked`,
  );
  await until(() => ra === n && rb === n);
});

t.test('query over native returns keys; connectAll joins a chain', async (t) => {
  const peers = await Promise.all(['p0', 'p1', 'p2', 'p3'].map((n) => nativePeer(t, n)));
  for (let i = 0; i < peers.length - 1; i++) await peers[i]!.connect(peers[i + 1]!.address);
  const keys = await peers[0]!.query(peers[1]!.address);
  t.same(keys, [peers[2]!.address], 'p1 reports its other connected peer, not us');
  await peers[0]!.connectAll();
  t.ok(peers[0]!.connectedPeers().some((p) => p.address === peers[2]!.address));
});

t.test('EXIT is seen as reason "exit"; a destroyed socket as "lost"', async (t) => {
  const a = await nativePeer(t, 'alice');
  const b = await nativePeer(t, 'bob');
  await a.connect(b.address);
  const gone = waitFor<[PeerInfo, string]>(a, 'peer-disconnected');
  const start = Date.now();
  await b.exit();
  const [info, reason] = await gone;
  t.equal(reason, 'exit');
  t.equal(info.address, b.address);
  t.ok(Date.now() - start < 1000, 'within 1 s');
  t.same(a.connectedPeers(), []);
});

t.test('keepalive: a peer that goes silent is dropped as lost within the session timeout', async (t) => {
  const timeouts = { keepAlive: 100, session: 400 };
  const a = await nativePeer(t, 'alice', { timeouts });
  const b = await nativePeer(t, 'bob', { timeouts });
  await a.connect(b.address);
  await until(() => b.connectedPeers().length === 1);
  // freeze b's side: stop reading and stop its keepalives, as a hung or vanished process would
  const session = (
    b as unknown as {
      table: { connected(): Array<{ session: { stream: { rawStream: import('node:net').Socket } } }> };
    }
  ).table.connected()[0]!.session;
  const raw = session.stream.rawStream as unknown as { pause(): void; write: unknown };
  raw.pause();
  (raw as { write: unknown }).write = () => true;
  const start = Date.now();
  const [, reason] = await waitFor<[PeerInfo, string]>(a, 'peer-disconnected', { timeout: 3000 });
  t.equal(reason, 'lost');
  t.ok(Date.now() - start < 2500, `lost after ${Date.now() - start} ms (session timeout 400 ms)`);
});

t.test('keys are pinned on first use; a changed key is refused with a way to accept it', async (t) => {
  const aDir = tempDir(t);
  const a = await nativePeer(t, 'alice', { dataDir: aDir });
  const b = await nativePeer(t, 'bob');
  await a.connect(b.address);
  await b.exit();
  await until(() => a.connectedPeers().length === 0);
  // a different peer (new key) now answers on the same address
  const impostor = await nativePeer(t, 'bob', { port: b.port });
  const err = await a.connect(b.address).catch((e: unknown) => e);
  t.match(err, { code: 'ERR_KEY_MISMATCH' });
  t.match(String((err as Error).message), /peer\.trust\(.*\)/);
  t.match(String((err as Error).message), /peerchat trust/);
  a.trust(b.address, impostor.id!);
  t.match(await a.connect(b.address), { key: impostor.id });
});

t.test('an expected key refuses any other; the allow list admits only listed keys', async (t) => {
  const a = await nativePeer(t, 'alice');
  const b = await nativePeer(t, 'bob');
  await t.rejects(a.connect(b.address, { key: 'ab'.repeat(32) }), { code: 'ERR_KEY_MISMATCH' });
  t.match(await a.connect(b.address, { key: b.id! }), { key: b.id });

  const c = await nativePeer(t, 'carol', { allow: [a.id!] });
  const d = await nativePeer(t, 'dave');
  t.match(await a.connect(c.address), { protocol: 'native' });
  await t.rejects(d.connect(c.address));
  t.notOk(
    c.connectedPeers().some((p) => p.name === 'dave'),
    'dave was not admitted',
  );
});

t.test(
  'classic: false refuses plaintext peers both ways; a classic client still works by default',
  async (t) => {
    const a = await nativePeer(t, 'alice', { classic: false });
    const raw = new RawClassicPeer('BlockMiners');
    await raw.listen();
    t.teardown(() => raw.close());
    await t.rejects(a.connect(`127.0.0.1:${raw.port}`), { code: 'ERR_CLASSIC_REFUSED' });
    const warned = waitFor(a, 'warning', {
      filter: (w: { code: string }) => w.code === 'ERR_CLASSIC_REFUSED',
    });
    (await raw.open(a.port, `CONNECT:BlockMiners:${raw.port}`)).on('data', () => {});
    await warned;
    t.same(a.connectedPeers(), []);

    const b = await nativePeer(t, 'bob');
    const s = await raw.open(b.port, `CONNECT:BlockMiners:${raw.port}`);
    t.equal(
      await RawClassicPeer.read(s),
      `ACK:bob:${b.port}\n`,
      'an original peer sees a plain ACK, no capability hint',
    );
    const raw2 = new RawClassicPeer('BlockMiners2');
    await raw2.listen();
    t.teardown(() => raw2.close());
    await b.connect(`127.0.0.1:${raw2.port}`);
    t.equal(
      raw2.frames.at(-1)?.text,
      `CONNECT:bob:${b.port}:${CAPABILITY}`,
      'the hint is an extra field the original ignores',
    );
    t.match(
      b.connectedPeers().find((p) => p.name === 'BlockMiners2'),
      { protocol: 'classic' },
    );
  },
);

t.test('a peer speaking another protocol version gets a clear error, not a hang', async (t) => {
  const a = await nativePeer(t, 'alice');
  const raw = new RawClassicPeer('future');
  await raw.listen();
  t.teardown(() => raw.close());
  raw.on('frame', (text: string, s: import('node:net').Socket) => {
    if (text.startsWith('CONNECT:')) s.write(`ACK:future:${raw.port}:peerchat/2\n`);
  });
  // the raw peer also answers its built-in ACK; the first ACK decides
  await t.rejects(a.connect(`127.0.0.1:${raw.port}`), { code: /ERR_PROTOCOL_VERSION|ERR_BAD_FRAME/ });
  const warned = waitFor(a, 'warning', {
    filter: (w: { code: string }) => w.code === 'ERR_PROTOCOL_VERSION',
  });
  const s = await raw.open(a.port, `CONNECT:future:${raw.port}:peerchat/2\n`);
  t.equal(
    await RawClassicPeer.read(s),
    `ACK:alice:${a.port}:${CAPABILITY}\n`,
    'it learns which version we speak',
  );
  await warned;
});

t.test('a message held in chat mode is acked at once and kept for pending()', async (t) => {
  const a = await nativePeer(t, 'alice');
  const b = await nativePeer(t, 'bob');
  a.setChatTarget('127.0.0.1:1');
  const start = Date.now();
  const res = await b.send(a.address, 'while you chat');
  t.equal(res.state, 'acked');
  t.ok(Date.now() - start < 2000, `acked in ${Date.now() - start} ms`);
  t.match(a.takePending(), [{ text: 'while you chat', name: 'bob' }]);
  t.same(a.takePending(), [], 'pending() clears the queue');
});
