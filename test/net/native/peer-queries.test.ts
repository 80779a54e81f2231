/** The remote's peers requests: a burst answered at once, a few more late, a flood dropped. */
import t from 'tap';
import {
  PEER_REQUEST_BURST,
  PEER_REQUEST_REFILL_MS,
  PeerQueries,
} from '../../../src/net/native/peer-queries.js';
import { until } from '../../helpers/wait.js';

t.test('a burst is answered at once, the next few one per refill, in order; more are dropped', async (t) => {
  const q = new PeerQueries(5000);
  t.teardown(() => q.close(new Error('done')));
  const answered: Array<{ n: number; at: number }> = [];
  const start = Date.now();
  const total = PEER_REQUEST_BURST * 2 + 3;
  for (let n = 0; n < total; n++) q.admitRequest(() => answered.push({ n, at: Date.now() - start }));
  t.same(
    answered.map((a) => a.n),
    Array.from({ length: PEER_REQUEST_BURST }, (_, i) => i),
    'the burst at once',
  );
  await until(
    () => answered.length === PEER_REQUEST_BURST * 2,
    PEER_REQUEST_REFILL_MS * (PEER_REQUEST_BURST + 3),
  );
  t.same(
    answered.map((a) => a.n),
    Array.from({ length: PEER_REQUEST_BURST * 2 }, (_, i) => i),
    'the held ones later, in order',
  );
  const late = answered.slice(PEER_REQUEST_BURST).map((a) => a.at);
  t.ok(
    late.every((at, i) => at >= (i + 1) * PEER_REQUEST_REFILL_MS - 50),
    `one per refill (${late.join(', ')} ms)`,
  );
  t.equal(q.waiting, 0, `nothing else waits: the ${total - PEER_REQUEST_BURST * 2} beyond were dropped`);
});

t.test('close drops what waits', async (t) => {
  const q = new PeerQueries(5000);
  let answered = 0;
  for (let n = 0; n < PEER_REQUEST_BURST + 2; n++) q.admitRequest(() => answered++);
  t.equal(q.waiting, 2);
  q.close(new Error('gone'));
  t.equal(q.waiting, 0, 'the waiting ones are dropped');
  t.equal(answered, PEER_REQUEST_BURST);
});
