import t from 'tap';
import { bump, OutboxCounts } from '../../src/store/counts.js';

t.test('committed and reserved rows count against both limits', async (t) => {
  const c = new OutboxCounts(2, 3);
  c.reset([{ peer_key: 'a', n: 1 }]);
  c.reserve('a');
  t.equal(c.count('a'), 2);
  t.throws(() => c.check('a'), { code: 'ERR_OUTBOX_FULL', message: /maxPerPeer/ });
  c.release('a');
  c.check('a');
  c.apply([
    ['b', 1],
    ['c', 1],
  ]);
  t.equal(c.count(), 3);
  t.throws(() => c.check('d'), { code: 'ERR_OUTBOX_FULL', message: /maxTotal/ });
  c.apply([['b', -1]]);
  t.equal(c.count('b'), 0);
  c.check('d');
});

t.test('bump deletes a counter at zero', async (t) => {
  const m = new Map<string, number>();
  bump(m, 'x', 2);
  bump(m, 'x', -2);
  t.equal(m.has('x'), false);
});

t.test('the total follows the counters, which never go below zero', async (t) => {
  const c = new OutboxCounts(100, 100);
  c.reset([
    { peer_key: 'a', n: 2 },
    { peer_key: 'b', n: 1 },
  ]);
  c.apply([['b', -5]]); // more acks than rows (a repeat): b stops at 0, the total loses 1
  t.equal(c.count('b'), 0);
  t.equal(c.count(), 2);
  c.reserve('c');
  const undo = c.acking('a');
  t.equal(c.count(), 2, 'a reserved one and an ack in flight cancel out');
  undo();
  c.release('c');
  c.apply([['a', -2]]);
  t.equal(c.count(), 0);
  t.equal(c.count('a'), 0);
});
