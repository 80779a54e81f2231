/** AckWindow alone: the waiting line keeps its order through long queues and timeouts. */
import t from 'tap';
import { AckWindow, MAX_IN_FLIGHT } from '../../../src/net/native/ack-window.js';
import type { WireChat } from '../../../src/net/session.js';

const chat = (i: number): WireChat => ({ id: `m${i}`, ts: 0, text: `x${i}` });

t.test('20,000 sends acked one at a time are written once each, in order', async (t) => {
  const written: string[] = [];
  const w = new AckWindow(60_000, (c) => written.push(c.id));
  t.teardown(() => w.close(new Error('done')));
  const total = 20_000;
  const sends = Array.from({ length: total }, (_, i) => w.send(chat(i)));
  t.equal(written.length, MAX_IN_FLIGHT, 'one window written, the rest wait');
  const started = performance.now();
  let unknown = 0;
  // in write order: each ack frees one slot and the next waiting chat goes
  for (let i = 0; i < total; i++) if (!w.acked(written[i]!)) unknown++;
  const ms = performance.now() - started;
  t.equal(unknown, 0, 'every ack met its send');
  await Promise.all(sends);
  t.same(
    written,
    Array.from({ length: total }, (_, i) => `m${i}`),
    'each once, in order',
  );
  // a loose bound (a loaded CI machine): Array#shift made it quadratic, 180 ms of a CLI sender's 20,000
  t.ok(ms < 1000, `draining 20,000 took ${ms.toFixed(1)} ms`);
});

t.test(
  'after timeouts on a partly drained line, a later chat is still written, once, in order',
  async (t) => {
    const written: string[] = [];
    // the timeout must outlast building and half-draining the burst on a loaded CI machine (300 ms
    // did not once: the later chat timed out with the burst)
    const w = new AckWindow(2000, (c) => written.push(c.id));
    t.teardown(() => w.close(new Error('done')));
    const burst = Array.from({ length: MAX_IN_FLIGHT + 6000 }, (_, i) => w.send(chat(i)));
    const settled = Promise.allSettled(burst);
    for (let i = 0; i < 5000; i++) w.acked(written[i]!); // the line is partly drained (and compacted)
    t.equal(written.length, MAX_IN_FLIGHT + 5000);
    const sentAt = Date.now();
    while (Date.now() === sentAt); // a later millisecond: a later deadline than the whole burst
    const later = w.send(chat(99_999));
    const results = await settled;
    t.ok(
      results.slice(0, 5000).every((r) => r.status === 'fulfilled'),
      'the acked ones resolved',
    );
    t.ok(
      results
        .slice(5000)
        .every((r) => r.status === 'rejected' && (r.reason as { code?: string }).code === 'ERR_ACK_TIMEOUT'),
      'every other one of the burst timed out',
    );
    // chats whose deadline came a millisecond later may still have been written before they timed out
    const order = written.map((id) => Number(id.slice(1)));
    t.ok(
      order.every((n, k) => k === 0 || n > order[k - 1]!),
      'written once each, in send order',
    );
    t.equal(written.at(-1), 'm99999', 'the later chat was written once the timeouts made room');
    // its deadline is a millisecond after the burst's: a sweep delayed by a loaded machine may find
    // both past, and then it times out after it was written (what matters above is the write)
    if (w.acked('m99999')) await later;
    else await t.rejects(later, { code: 'ERR_ACK_TIMEOUT' }, 'written, then timed out with the late sweep');
  },
);
