import t from 'tap';
import { RefusedError } from '../../../src/net/native/ack-window.js';
import * as m from '../../../src/net/native/messages.js';
import { ackFor, peersReplyFor, type Reply, refusalOf } from '../../../src/net/native/replies.js';

t.test('ackFor: a plain ack, and a size bound that covers its encoding', async (t) => {
  const out: Reply<m.Ack>[] = [];
  ackFor(
    'é1',
    () => true,
    (r) => out.push(r),
  )();
  t.same(
    out.map((r) => r.message),
    [{ id: 'é1' }],
  );
  t.ok(out[0] && out[0].bytes >= m.encodingLength(m.ack, out[0].message));
});

t.test('ackFor: a refusal goes only to a remote that reads refusals', async (t) => {
  const out: Reply<m.Ack>[] = [];
  let reads = false;
  const ack = ackFor(
    'x',
    () => reads,
    (r) => out.push(r),
  );
  ack({ reason: 'rate-limited', retryAfterMs: 10.2 });
  t.same(out, [], 'a 0.1.0 peer gets nothing');
  reads = true;
  ack({ reason: 'rate-limited', retryAfterMs: 10.2 });
  t.same(
    out.map((r) => r.message),
    [{ id: 'x', refused: { reason: m.REFUSAL_REASONS.rateLimited, retryAfterMs: 11 } }],
  );
  t.ok(out[0] && out[0].bytes >= m.encodingLength(m.ack, out[0].message));
});

t.test('peersReplyFor answers once, with wire entries and their exact size', async (t) => {
  const out: Reply<m.PeersAnswer>[] = [];
  const reply = peersReplyFor(7, (r) => out.push(r));
  reply([{ address: '127.0.0.1:5000', key: 'ab'.repeat(32), name: 'bob' }]);
  reply([]);
  t.equal(out.length, 1, 'a second call does nothing');
  const answer = out[0]?.message;
  t.equal(answer?.requestId, 7);
  t.equal(answer?.entries[0]?.key?.toString('hex'), 'ab'.repeat(32));
  t.equal(out[0]?.bytes, answer && m.encodingLength(m.peersAnswer, answer));
});

t.test('refusalOf reads the refusal of an ack, none of a plain ack', async (t) => {
  t.equal(refusalOf({ id: 'a' }), null);
  const known = refusalOf({ id: 'a', refused: { reason: m.REFUSAL_REASONS.rateLimited, retryAfterMs: 500 } });
  t.ok(known instanceof RefusedError);
  t.equal(known?.retryAfterMs, 500);
  t.equal(known?.code, 'ERR_RATE_LIMITED');
  const unknown = refusalOf({ id: 'b', refused: { reason: 99, retryAfterMs: 1 } });
  t.ok(unknown instanceof RefusedError, 'an unknown reason is still a refusal');
  t.equal(unknown?.code, 'ERR_REFUSED');
});
