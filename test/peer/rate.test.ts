/** Per-sender token buckets of the inbox (issue 15 #6). */
import t from 'tap';
import { RATE_BURST_SECONDS } from '../../src/defaults.js';
import { SenderRates } from '../../src/peer/rate.js';

t.test('a burst, then the rate; bytes count too; senders are separate', async (t) => {
  const r = new SenderRates(10, 1000);
  let admitted = 0;
  for (let i = 0; i < 100; i++) if (r.take('a', 1, 0)) admitted++;
  t.equal(admitted, 10 * RATE_BURST_SECONDS, 'the burst');
  t.notOk(r.take('a', 1, 0), 'then refused');
  t.ok(r.take('a', 1, 100), 'one more after a tenth of a second');
  t.ok(r.take('b', 1, 0), 'another sender has its own bucket');
  t.notOk(r.take('c', 1000 * RATE_BURST_SECONDS + 1, 0), 'a text over the byte burst is refused');
  t.ok(r.take('c', 10, 0), 'and took nothing');
});

t.test('retryAfterMs: when a refused sender could send again', async (t) => {
  const r = new SenderRates(10, 1000);
  for (let i = 0; i < 10 * RATE_BURST_SECONDS; i++) r.take('a', 1, 0);
  t.notOk(r.take('a', 1, 0), 'refused');
  t.equal(r.retryAfterMs('a', 1), 100, 'one message token is a tenth of a second away');
  const bytes = new SenderRates(1000, 100);
  t.ok(bytes.take('b', 100 * RATE_BURST_SECONDS, 0), 'the byte burst in one text');
  t.notOk(bytes.take('b', 50, 0), 'then refused');
  t.equal(bytes.retryAfterMs('b', 50), 500, '50 bytes at 100 a second');
  t.equal(
    bytes.retryAfterMs('c', 100 * RATE_BURST_SECONDS + 1),
    RATE_BURST_SECONDS * 1000,
    'never fits: a whole burst',
  );
  t.equal(bytes.retryAfterMs('unknown', 1), 1, 'an unknown sender could send now');
});
