/**
 * Acks committed in bulk (src/store/acks.ts): the same results as one transition per ack, in the
 * order the ops were sent, and the outbox counters follow.
 */
import Database from 'better-sqlite3';
import t from 'tap';
import { Store } from '../../src/store/store.js';
import { KEY_A, KEY_B, out } from './helpers.js';

t.setTimeout(120_000);

t.test('acks of one batch: a repeat changes nothing, a failed row is acked, counters follow', async (t) => {
  const store = Store.open({ dataDir: t.testdir(), outbox: { maxPerPeer: 3 } });
  t.teardown(() => store.close());
  const [a, b, c] = [out({ key: KEY_A }), out({ key: KEY_A }), out({ key: KEY_B })];
  await Promise.all([store.enqueue(a, KEY_A), store.enqueue(b, KEY_A), store.enqueue(c, KEY_B)]);
  await store.markFailed(b.id, 'boom');
  // all in one event-loop turn: one post, one transaction
  const before = store.stats.transactions;
  const results = await Promise.all([
    store.markAcked(a.id, KEY_A),
    store.markAcked(a.id, KEY_A),
    store.markAcked(b.id, KEY_A),
    store.markAcked(c.id, KEY_B),
    store.markAcked('no-such-id', KEY_A),
  ]);
  t.same(results, [true, false, true, true, false]);
  t.equal(store.stats.transactions - before, 1, 'one transaction');
  t.same(
    [a, b, c].map((m) => [store.get(m.id)?.state, store.get(m.id)?.error]),
    [
      ['acked', null],
      ['acked', null],
      ['acked', null],
    ],
  );
  t.same(store.outbox(), []);
  t.same(store.queuedFor(KEY_A), []);
  // the counters: all three slots of KEY_A free again (a acked; b had stopped counting when it failed)
  await Promise.all([1, 2, 3].map(() => store.enqueue(out({ key: KEY_A }), KEY_A)));
  await t.rejects(store.enqueue(out({ key: KEY_A }), KEY_A), { code: 'ERR_OUTBOX_FULL' });
});

t.test('an ack and a drop of the same id in one batch keep their order', async (t) => {
  const store = Store.open({ dataDir: t.testdir() });
  t.teardown(() => store.close());
  const [a, b] = [out(), out()];
  await Promise.all([store.enqueue(a, KEY_A), store.enqueue(b, KEY_A)]);
  const [ackA, dropA, dropB, ackB] = await Promise.all([
    store.markAcked(a.id, KEY_A), // first: acked, so no longer in the outbox to drop
    store.drop(a.id),
    store.drop(b.id), // first: gone, so nothing to ack
    store.markAcked(b.id, KEY_A),
  ]);
  t.same([ackA, dropA, dropB, ackB], [true, false, true, false]);
  t.equal(store.get(a.id)?.state, 'acked');
  t.equal(store.get(b.id), null);
});

t.test('an enqueue after an ack of the same id in one batch sees the ack first', async (t) => {
  const store = Store.open({ dataDir: t.testdir() });
  t.teardown(() => store.close());
  const a = out();
  await store.enqueue(a, KEY_A);
  const [acked, again] = await Promise.allSettled([store.markAcked(a.id, KEY_A), store.enqueue(a, KEY_A)]);
  t.match(acked, { status: 'fulfilled', value: true });
  t.match(again, { status: 'rejected', reason: { code: 'ERR_USAGE' } });
});

t.test('schema 4: two indexes fewer; the outbox reads use the partial index of unacked rows', async (t) => {
  const store = Store.open({ dataDir: t.testdir() });
  const path = store.path;
  await store.enqueue(out(), KEY_A);
  await store.close();
  const db = new Database(path, { readonly: true });
  t.teardown(() => db.close());
  const indexes = (
    db
      .prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'messages'")
      .all() as Array<{
      name: string;
    }>
  )
    .map((r) => r.name)
    .filter((n) => !n.startsWith('sqlite_autoindex'));
  t.same(indexes.sort(), ['messages_identity', 'messages_unacked']);
  const { AWAITING, IN_OUTBOX, OUTBOX_ROWS } = await import('../../src/store/rows.js');
  const plan = (sql: string) =>
    (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as Array<{ detail: string }>)
      .map((r) => r.detail)
      .join('; ');
  // queuedFor, the counters at open, outbox()
  t.match(
    plan(`SELECT * FROM messages WHERE ${AWAITING} AND peer_key = 'x' ORDER BY seq`),
    /messages_unacked/,
  );
  t.match(
    plan(`SELECT peer_key, count(*) FROM messages WHERE ${AWAITING} GROUP BY peer_key`),
    /messages_unacked/,
  );
  t.match(plan(`SELECT * FROM ${OUTBOX_ROWS} WHERE ${IN_OUTBOX} ORDER BY seq`), /messages_unacked/);
});
