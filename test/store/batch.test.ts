import Database from 'better-sqlite3';
import t, { type Test } from 'tap';
import { PeerchatError } from '../../src/errors.js';
import { FLUSH_MAX, GroupCommit } from '../../src/store/batch.js';
import { Store } from '../../src/store/store.js';
import { msg } from './helpers.js';

function memory(t: Test) {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE x (v INTEGER NOT NULL UNIQUE)');
  t.teardown(() => db.close());
  const gc = new GroupCommit(
    db,
    (err) => new PeerchatError('ERR_STORE_WRITE', 'batch failed', { cause: err }),
  );
  const insert = db.prepare('INSERT INTO x (v) VALUES (?)');
  return { db, gc, insert };
}

t.test('many concurrent writes commit in few transactions', async (t) => {
  const store = Store.open({ dataDir: t.testdir() });
  t.teardown(() => store.close());
  const n = 2000;
  const results = await Promise.all(Array.from({ length: n }, () => store.recordIncoming(msg())));
  t.equal(results.filter(Boolean).length, n);
  t.equal(store.stats.writes, n);
  t.ok(store.stats.transactions <= Math.ceil(n / FLUSH_MAX) + 1, `${store.stats.transactions} transactions`);
  t.equal(store.history({ limit: Infinity }).length, n);
});

t.test('the flush never runs inside the caller', async (t) => {
  const { gc, insert } = memory(t);
  const ps = Array.from({ length: FLUSH_MAX + 10 }, (_, i) => gc.write(() => insert.run(i)));
  t.equal(gc.stats.transactions, 0, 'nothing committed synchronously, even past FLUSH_MAX');
  await Promise.resolve();
  t.equal(gc.stats.transactions, 0, 'nor in a microtask');
  await Promise.all(ps);
  t.equal(gc.stats.transactions, 2, 'one full batch, then the rest');
});

t.test('a write resolves only after its COMMIT: another connection sees the row', async (t) => {
  const store = Store.open({ dataDir: t.testdir() });
  t.teardown(() => store.close());
  const reader = new Database(store.path, { readonly: true });
  t.teardown(() => reader.close());
  const seen = reader.prepare('SELECT count(*) AS n FROM messages WHERE id = ?');
  const ms = Array.from({ length: 600 }, () => msg());
  const checks = ms.map((m) => store.recordIncoming(m).then(() => (seen.get(m.id) as { n: number }).n));
  const counts = await Promise.all(checks);
  t.ok(
    counts.every((n) => n === 1),
    'every row visible to a second connection when its promise resolved',
  );
});

t.test('a PeerchatError rejects one write; other errors roll back the batch', async (t) => {
  const { db, gc, insert } = memory(t);
  const refused = gc.write(() => {
    throw new PeerchatError('ERR_USAGE', 'refused');
  });
  const ok = gc.write(() => insert.run(1).changes);
  await t.rejects(refused, { code: 'ERR_USAGE' });
  t.equal(await ok, 1);

  const a = gc.write(() => insert.run(2));
  const dup = gc.write(() => insert.run(1)); // UNIQUE violation: not a PeerchatError
  await t.rejects(a, { code: 'ERR_STORE_WRITE' });
  await t.rejects(dup, { code: 'ERR_STORE_WRITE' });
  t.same(db.prepare('SELECT v FROM x ORDER BY v').all(), [{ v: 1 }], 'the whole batch was rolled back');
  await gc.write(() => insert.run(3));
  t.equal((db.prepare('SELECT count(*) AS n FROM x').get() as { n: number }).n, 2, 'later batches work');
});

t.test('flushSync commits everything queued', async (t) => {
  const { db, gc, insert } = memory(t);
  const ps = Array.from({ length: FLUSH_MAX * 2 + 5 }, (_, i) => gc.write(() => insert.run(i)));
  gc.flushSync();
  t.equal((db.prepare('SELECT count(*) AS n FROM x').get() as { n: number }).n, FLUSH_MAX * 2 + 5);
  t.equal(gc.size, 0);
  await Promise.all(ps);
});
