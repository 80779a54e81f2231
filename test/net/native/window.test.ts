/** Backpressure: at most MAX_IN_FLIGHT chats are written and unacked; the rest wait for acks. */
import t from 'tap';
import { MAX_IN_FLIGHT } from '../../../src/net/native/session.js';
import { readyPair, until } from './helpers.js';

t.test('a burst beyond the window waits for acks instead of piling up in the stream', async (t) => {
  const { a, b } = await readyPair(t);
  const held: Array<() => void> = [];
  const seen: string[] = [];
  b.on('peers-request', (reply) => reply([]));
  b.on('chat', (chat, ack) => {
    seen.push(chat.id);
    held.push(ack); // the receiver is slow: nothing is acked yet
  });
  const total = MAX_IN_FLIGHT + 500;
  const sends = Array.from({ length: total }, (_, i) =>
    a.sendChat({ id: `m${i}`, ts: Date.now(), text: `x${i}` }),
  );
  await until(() => seen.length === MAX_IN_FLIGHT, 5000, 'the first window');
  // a round trip written after everything a has written so far: b answers it only after reading
  // any chat a wrote before it
  await a.requestPeers();
  t.equal(seen.length, MAX_IN_FLIGHT, `only ${MAX_IN_FLIGHT} chats were written while none was acked`);
  for (const ack of held.splice(0)) ack();
  await until(() => seen.length === total, 5000, 'the rest after the acks');
  for (const ack of held.splice(0)) ack();
  await Promise.all(sends);
  t.same(
    seen,
    Array.from({ length: total }, (_, i) => `m${i}`),
    'in order, each once',
  );
});
