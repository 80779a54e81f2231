import { once } from 'node:events';
import SecretStream from '@hyperswarm/secret-stream';
import t, { type Test } from 'tap';
import { isPeerchatError, PeerchatError } from '../../../src/errors.js';
import * as m from '../../../src/net/native/messages.js';
import { createNativeSession, type NativeSession } from '../../../src/net/native/session.js';
import { keyPair, pipePair, readyPair, streamPair, timeouts, until, waitFor } from './helpers.js';

function teardown(t: Test, ...sessions: NativeSession[]): void {
  t.teardown(() => {
    for (const s of sessions) s.destroy();
  });
}

const codeOf = (err: unknown) => (isPeerchatError(err) ? err.code : String(err));

t.test('hello, remote keys and a chat acknowledged', async (t) => {
  const kpA = keyPair();
  const kpB = keyPair();
  const { a, b } = pipePair({ keyPair: kpA }, { keyPair: kpB });
  teardown(t, a, b);
  const helloB = waitFor(b, 'hello');
  const [ha, hb] = await Promise.all([a.ready, b.ready]);
  t.equal(ha.name, 'bob', 'a got b hello');
  t.equal(hb.name, 'alice', 'b got a hello');
  t.strictSame((await helloB)[0], hb, 'hello event carries the hello');
  t.equal(a.remoteKey, kpB.publicKey.toString('hex'));
  t.equal(b.remoteKey, kpA.publicKey.toString('hex'));
  t.strictSame(a.remoteHello, ha);
  t.equal(a.protocol, 'native');
  t.equal(a.isInitiator, true);
  t.equal(b.isInitiator, false);

  const got: string[] = [];
  b.on('chat', (chat, ack) => {
    got.push(`${chat.id}:${chat.text}:${chat.ts}`);
    ack();
  });
  await a.sendChat({ id: 'm1', ts: 1234, text: 'hello ✓' });
  t.strictSame(got, ['m1:hello ✓:1234']);
});

t.test('many pipelined messages are all acked, in order', async (t) => {
  const { a, b } = await readyPair(t);
  const got: string[] = [];
  b.on('chat', (chat, ack) => {
    got.push(chat.id);
    ack();
  });
  const ids = Array.from({ length: 3000 }, (_, i) => `id-${i}`);
  await Promise.all(ids.map((id) => a.sendChat({ id, ts: Date.now(), text: 'x'.repeat(200) })));
  t.strictSame(got, ids);
});

t.test('both sides send at once', async (t) => {
  const { a, b } = await readyPair(t);
  a.on('chat', (_c, ack) => ack());
  b.on('chat', (_c, ack) => ack());
  await Promise.all([
    a.sendChat({ id: 'from-a', ts: 1, text: 'a' }),
    b.sendChat({ id: 'from-b', ts: 2, text: 'b' }),
  ]);
  t.pass('both acked');
});

t.test('a message nobody acks rejects with ERR_ACK_TIMEOUT', async (t) => {
  const { a, b } = await readyPair(t, { timeouts: timeouts({ ack: 100 }) });
  b.on('chat', () => {}); // never acks
  const started = Date.now();
  await t.rejects(a.sendChat({ id: 'lonely', ts: 1, text: 'anyone?' }), { code: 'ERR_ACK_TIMEOUT' });
  t.ok(Date.now() - started >= 90, 'not before the timeout');
  t.notOk(a.closed, 'the session stays open');
});

t.test('pending sends reject with ERR_DISCONNECTED when the session closes', async (t) => {
  const { a, b } = await readyPair(t);
  b.on('chat', () => {});
  const pending = a.sendChat({ id: 'p', ts: 1, text: 'x' });
  const lost = waitFor<[string, Error]>(a, 'close');
  b.destroy();
  await t.rejects(pending, { code: 'ERR_DISCONNECTED' });
  const [reason] = await lost;
  t.equal(reason, 'lost', 'the remote vanished without EXIT');
  await t.rejects(a.sendChat({ id: 'q', ts: 1, text: 'x' }), { code: 'ERR_DISCONNECTED' });
});

t.test('sendChat checks what it is given', async (t) => {
  const { a } = await readyPair(t);
  await t.rejects(a.sendChat({ id: 'big', ts: 1, text: 'x'.repeat(m.MAX_TEXT_BYTES + 1) }), {
    code: 'ERR_MESSAGE_TOO_LONG',
  });
  await t.rejects(a.sendChat({ id: 'neg', ts: -1, text: 'x' }), { code: 'ERR_BAD_FRAME' });
  await t.rejects(a.sendChat({ id: '', ts: 1, text: 'x' }), { code: 'ERR_BAD_FRAME' });
  t.notOk(a.closed);
});

t.test('peers request and answer', async (t) => {
  const { a, b } = await readyPair(t);
  const key = keyPair().publicKey.toString('hex');
  b.on('peers-request', (reply) =>
    reply([
      { address: '127.0.1.1:4000', key, name: 'carol' },
      { address: '127.0.1.2:4000', key: null, name: null },
      { address: '127.0.1.3:4000', key: 'not-a-key', name: 'x'.repeat(300) },
    ]),
  );
  const entries = await a.requestPeers();
  t.strictSame(entries, [
    { address: '127.0.1.1:4000', key, name: 'carol' },
    { address: '127.0.1.2:4000', key: null, name: null },
    { address: '127.0.1.3:4000', key: null, name: null },
  ]);
});

t.test('a peers request without a listener gets an empty answer; one never answered times out', async (t) => {
  const { a, b } = await readyPair(t, { timeouts: timeouts({ query: 100 }) });
  t.strictSame(await a.requestPeers(), []);
  b.on('peers-request', () => {}); // holds the reply
  await t.rejects(a.requestPeers(), { code: 'ERR_QUERY_TIMEOUT' });
});

t.test('exit: the remote sees exit then close "exit"; we close "closed"', async (t) => {
  const { a, b } = await readyPair(t);
  const order: string[] = [];
  b.on('exit', () => order.push('exit'));
  b.on('close', (reason) => order.push(`close:${reason}`));
  const aClosed = waitFor<[string]>(a, 'close');
  await a.exit();
  t.equal((await aClosed)[0], 'closed');
  await until(() => b.closed);
  t.strictSame(order, ['exit', 'close:exit']);
  await a.exit(); // never rejects, also when already closed
  t.ok(a.closed);
});

t.test('destroy() closes with "closed" locally and "lost" remotely', async (t) => {
  const { a, b } = pipePair();
  await Promise.all([a.ready, b.ready]);
  const remote = waitFor<[string, Error]>(b, 'close');
  const local = waitFor<[string]>(a, 'close');
  a.destroy();
  t.equal((await local)[0], 'closed');
  t.equal((await remote)[0], 'lost');
  t.ok(a.closed && b.closed);
});

t.test('verifyKey refuses the remote before any hello', async (t) => {
  const kpB = keyPair();
  let asked = '';
  const { a, b } = pipePair(
    {
      verifyKey: (remote) => {
        asked = remote;
        return new PeerchatError('ERR_KEY_MISMATCH', 'not the key we pinned');
      },
    },
    { keyPair: kpB },
  );
  teardown(t, a, b);
  let hellos = 0;
  a.on('hello', () => hellos++);
  await t.rejects(a.ready, { code: 'ERR_KEY_MISMATCH', message: 'not the key we pinned' });
  t.equal(asked, kpB.publicKey.toString('hex'), 'asked with the remote key');
  await t.rejects(b.ready, 'the other side does not open either');
  t.equal(hellos, 0, 'no hello');
  t.ok(a.closed);
});

t.test('a handshake that never completes: ERR_HANDSHAKE_TIMEOUT', async (t) => {
  // nobody on the other end: the initiator's first Noise message never comes
  const b = new SecretStream(false, null, { keyPair: keyPair() });
  const session = createNativeSession(b, {
    isInitiator: false,
    keyPair: keyPair(),
    hello: { name: 'b', port: 1, version: '1', capabilities: [] },
    timeouts: timeouts({ handshake: 150 }),
  });
  t.teardown(() => session.destroy());
  const closed = waitFor<[string, Error]>(session, 'close');
  await t.rejects(session.ready, { code: 'ERR_HANDSHAKE_TIMEOUT' });
  const [reason, err] = await closed;
  t.equal(reason, 'lost');
  t.equal(codeOf(err), 'ERR_HANDSHAKE_TIMEOUT');
});

t.test('the remote hello must arrive within the handshake timeout too', async (t) => {
  const { a, b } = streamPair();
  a.on('error', () => {});
  // a completes Noise but never opens the channel
  const session = createNativeSession(b, {
    isInitiator: false,
    keyPair: keyPair(),
    hello: { name: 'b', port: 1, version: '1', capabilities: [] },
    timeouts: timeouts({ handshake: 150 }),
  });
  t.teardown(() => {
    session.destroy();
    a.destroy();
  });
  await t.rejects(session.ready, { code: 'ERR_HANDSHAKE_TIMEOUT', message: /no hello/ });
  t.ok(session.remoteKey, 'the key was known');
});

t.test(
  'a session over an already handshaken NoiseSecretStream (as Hyperswarm hands them over)',
  async (t) => {
    const { a, b } = streamPair();
    await Promise.all([once(a, 'handshake'), once(b, 'handshake')]);
    const opts = (isInitiator: boolean, name: string) => ({
      isInitiator,
      keyPair: keyPair(), // ignored: the stream already has its keys
      hello: { name, port: 0, version: '1', capabilities: [] },
      timeouts: timeouts(),
    });
    const sa = createNativeSession(a, opts(true, 'a'));
    const sb = createNativeSession(b, opts(false, 'b'));
    teardown(t, sa, sb);
    const [ha] = await Promise.all([sa.ready, sb.ready]);
    t.equal(ha.name, 'b');
    t.equal(sa.remoteKey, a.remotePublicKey?.toString('hex'));
    sb.on('chat', (_c, ack) => ack());
    await sa.sendChat({ id: '1', ts: 1, text: 'over a ready stream' });
    t.pass('acked');
  },
);
