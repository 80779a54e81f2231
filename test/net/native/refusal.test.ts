/**
 * Issue 15 #6: a chat over the receiver's rate is refused, and the sender is told (an ack with a
 * refusal tail), but only a sender whose hello says it reads refusals: a 0.1.0 peer would take
 * the refusal for an ack, so it gets nothing, as before.
 */
import c from 'compact-encoding';
import Protomux from 'protomux';
import t from 'tap';
import { isPeerchatError } from '../../../src/errors.js';
import * as m from '../../../src/net/native/messages.js';
import {
  CAPABILITY,
  createNativeSession,
  REFUSAL_CAPABILITY,
  RefusedError,
} from '../../../src/net/native/session.js';
import { hello, keyPair, pipePair, streamPair, timeouts, until } from './helpers.js';

t.test(
  'the ack codec: a refusal tail round-trips, a plain ack has none, a bad tail is malformed',
  async (t) => {
    const plain = m.encode(m.ack, { id: 'm1' });
    t.strictSame(m.safeDecode(m.ack, plain), { id: 'm1' }, 'a plain ack');
    const refusal = { id: 'm2', refused: { reason: m.REFUSAL_REASONS.rateLimited, retryAfterMs: 1500 } };
    const bytes = m.encode(m.ack, refusal);
    t.strictSame(m.safeDecode(m.ack, bytes), refusal, 'a refusal');
    // what a 0.1.0 peer reads: the id, the tail ignored; hence refusals only to peers that ask
    t.equal(
      c.string.decode({ start: 0, end: bytes.length, buffer: bytes }),
      'm2',
      'an old decoder sees an ack',
    );
    const huge = m.encode(m.ack, { id: 'm3', refused: { reason: 7, retryAfterMs: 2 ** 40 } });
    t.strictSame(
      m.safeDecode(m.ack, huge),
      { id: 'm3', refused: { reason: 7, retryAfterMs: m.MAX_RETRY_AFTER_MS } },
      'an unknown reason is still a refusal; the wait is capped',
    );
    t.equal(
      m.safeDecode(m.ack, m.encode(m.ack, { id: 'm4', refused: { reason: 0, retryAfterMs: 1 } })),
      null,
    );
    t.equal(m.safeDecode(m.ack, Buffer.concat([plain, Buffer.from([1])])), null, 'a truncated tail');
  },
);

t.test('between two sessions the refusal reaches the sender as ERR_RATE_LIMITED with its wait', async (t) => {
  const { a, b } = pipePair();
  t.teardown(() => {
    a.destroy();
    b.destroy();
  });
  const [, helloOfA] = await Promise.all([a.ready, b.ready]);
  t.ok(helloOfA.capabilities.includes(REFUSAL_CAPABILITY), 'the hello lists the capability');
  b.on('chat', (chat, ack) =>
    chat.text === 'too much' ? ack({ reason: 'rate-limited', retryAfterMs: 1234 }) : ack(),
  );
  const err = await a.sendChat({ id: 'x1', ts: 1, text: 'too much' }).catch((e: unknown) => e);
  t.ok(err instanceof RefusedError, 'a RefusedError');
  t.ok(isPeerchatError(err, 'ERR_RATE_LIMITED'), 'coded ERR_RATE_LIMITED');
  t.equal((err as RefusedError).retryAfterMs, 1234, 'with the wait the receiver stated');
  t.match((err as Error).message, /refused message x1: over its rate limit; it may be sent again in 1234 ms/);
  await a.sendChat({ id: 'x2', ts: 2, text: 'fine' });
  t.pass('the session carries on: the next chat is acked');
  t.notOk(a.closed || b.closed, 'both open');
});

t.test('a 0.1.0 peer (no refusal capability in its hello) gets no refusal, only acks', async (t) => {
  const kpA = keyPair();
  const { a: streamA, b: streamB } = streamPair(kpA, keyPair());
  const session = createNativeSession(streamA, {
    isInitiator: true,
    keyPair: kpA,
    hello: hello('new'),
    timeouts: timeouts(),
  });
  t.teardown(() => {
    session.destroy();
    streamB.destroy();
  });
  // the old side, as 0.1.0 built its channel: an ack is an id, the rest of the bytes ignored
  const mux = new Protomux(streamB);
  const acks: string[] = [];
  const old = mux.createChannel({
    protocol: CAPABILITY,
    handshake: m.hello,
    messages: [
      { encoding: m.chat },
      { encoding: m.ack, onmessage: (ack: m.Ack) => acks.push(ack.refused ? `refused ${ack.id}` : ack.id) },
      { encoding: m.peersRequest },
      { encoding: m.peersAnswer },
      { encoding: m.exit },
    ],
  })!;
  old.open({ name: 'old', port: 4001, version: '0.1.0', capabilities: [CAPABILITY] });
  await session.ready;
  session.on('chat', (chat, ack) =>
    chat.id === 'o1' ? ack({ reason: 'rate-limited', retryAfterMs: 5 }) : ack(),
  );
  old.messages[0]!.send({ id: 'o1', ts: 1, text: 'refused' });
  old.messages[0]!.send({ id: 'o2', ts: 2, text: 'kept' });
  await until(() => acks.length > 0, 5000);
  t.strictSame(acks, ['o2'], 'only the kept one is acked; the refused one gets nothing');
});

t.test(
  'two Peers without a store: a send past the receiver rate rejects with ERR_RATE_LIMITED',
  async (t) => {
    const { nativePeer } = await import('../../helpers/peers.js');
    const target = await nativePeer(t, 'target', { limits: { messagesPerSecond: 1 } });
    const sender = await nativePeer(t, 'sender');
    const to = `127.0.0.1:${target.port}`;
    await sender.connect(to);
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => sender.send(to, `m${i}`)));
    const acked = results.filter((r) => r.status === 'fulfilled');
    const refused = results
      .filter((r) => r.status === 'rejected')
      .map((r) => (r as PromiseRejectedResult).reason);
    t.equal(acked.length, 5, 'the burst (5 s at 1 a second) is acked');
    t.equal(refused.length, 3, 'the rest is refused');
    t.ok(
      refused.every(
        (e) => isPeerchatError(e, 'ERR_RATE_LIMITED') && e instanceof RefusedError && e.retryAfterMs > 0,
      ),
      'each rejects with ERR_RATE_LIMITED and the wait the receiver stated',
    );
    const again = await sender.send(to, 'at once again').catch((e: unknown) => e);
    t.ok(again instanceof RefusedError, 'and so is the next one while the bucket is empty');
  },
);
