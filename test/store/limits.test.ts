/** Store items of issue 15: file modes, de-duplication per sender, retention by size, pending cap. */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { LATEST_VERSION, MIGRATIONS } from '../../src/store/migrations.js';
import { SPAN } from '../../src/store/ops.js';
import { Store } from '../../src/store/store.js';
import { KEY_A, KEY_B, msg, out } from './helpers.js';

// every Store starts a writer thread; under tap's TypeScript loader each one compiles its sources
t.setTimeout(180_000);

t.test('peerchat.db, its -wal and -shm and the lock file are created 0600', async (t) => {
  const dir = t.testdir();
  const store = Store.open({ dataDir: dir });
  t.teardown(() => store.close());
  await store.recordIncoming(msg());
  for (const f of ['peerchat.db', 'peerchat.db-wal', 'peerchat.db-shm', 'peerchat.lock']) {
    t.equal((statSync(join(dir, f)).mode & 0o777).toString(8), '600', f);
  }
});

t.test('an existing world-readable database is made 0600 at open', async (t) => {
  const dir = t.testdir({ 'peerchat.db': '' });
  statSync(join(dir, 'peerchat.db'));
  const store = Store.open({ dataDir: dir });
  t.teardown(() => store.close());
  t.equal((statSync(join(dir, 'peerchat.db')).mode & 0o777).toString(8), '600');
});

t.test('incoming is de-duplicated per (sender key, id), not by id alone', async (t) => {
  const store = Store.open({ dataDir: t.testdir() });
  t.teardown(() => store.close());
  const a = msg({ key: KEY_A, text: 'from a' });
  const b = msg({ id: a.id, key: KEY_B, text: 'from b' });
  t.equal(await store.recordIncoming(a), true);
  t.equal(await store.recordIncoming(b), true, 'another sender with the same id is kept');
  t.equal(await store.recordIncoming(b), false, "b's resend is a duplicate of b's message");
  t.equal(await store.recordIncoming(a), false, "a's resend too");
  const rows = store.history({ limit: Infinity });
  t.same(
    rows.map((m) => [m.id, m.key, m.text]),
    [
      [a.id, KEY_A, 'from a'],
      [a.id, KEY_B, 'from b'],
    ],
    'both under their own id, each once',
  );
  t.equal(store.hasIncoming(KEY_A, a.id), true);
  t.equal(store.hasIncoming(KEY_B, a.id), true);
  t.equal(store.hasIncoming('c'.repeat(64), a.id), false, 'a third key has not sent it');
});

t.test('a version 1 file migrates: rows and pending kept, incremental auto_vacuum on', async (t) => {
  const dir = t.testdir();
  const db = new Database(join(dir, 'peerchat.db'));
  db.exec(MIGRATIONS[0]!.sql);
  db.pragma('application_id = 1885562996');
  db.pragma('user_version = 1');
  db.prepare(
    `INSERT INTO messages (id, direction, peer_address, peer_key, verified, text, ts, protocol, state, created_at,
     updated_at, queued_at) VALUES ('m1', 'in', '127.0.0.1:1', ?, 1, 'old', 1, 'native', 'acked', 1, 1, 1)`,
  ).run(KEY_A);
  db.exec("INSERT INTO pending (message_id) VALUES ('m1')");
  db.close();
  const store = Store.open({ dataDir: dir });
  t.teardown(() => store.close());
  t.same(
    store.history().map((m) => m.text),
    ['old'],
  );
  t.equal(await store.recordIncoming(msg({ id: 'm1', key: KEY_B, text: 'new' })), true);
  t.same(
    store.takePending().map((m) => m.text),
    ['old'],
  );
  const check = new Database(store.path, { readonly: true });
  t.teardown(() => check.close());
  t.equal(check.pragma('user_version', { simple: true }), LATEST_VERSION);
  t.equal(check.pragma('auto_vacuum', { simple: true }), 2, 'INCREMENTAL');
});

t.test('retention by size keeps the file under maxBytes and gives the space back', async (t) => {
  const dir = t.testdir();
  const maxBytes = 1024 * 1024;
  const store = Store.open({ dataDir: dir, retention: { maxBytes, maxMessages: null } });
  const big = 'x'.repeat(16 * 1024);
  for (let round = 0; round < 4; round++) {
    await Promise.all(Array.from({ length: 100 }, () => store.recordIncoming(msg({ text: big }))));
  }
  t.ok((await store.applyRetention()) >= 0);
  const kept = store.history({ limit: Infinity }).length;
  t.ok(kept > 0 && kept < 100, `${kept} of 400 16 KiB messages kept`);
  await store.close();
  const size = statSync(join(dir, 'peerchat.db')).size;
  t.ok(size <= maxBytes * 1.2, `file is ${size} bytes after close (6.4 MB were written)`);
});

t.test('retention runs by itself during a flood, not only hourly', async (t) => {
  const store = Store.open({ dataDir: t.testdir(), retention: { maxMessages: 100 } });
  t.teardown(() => store.close());
  for (let round = 0; round < 3; round++) {
    await Promise.all(Array.from({ length: 500 }, () => store.recordIncoming(msg())));
  }
  t.ok(store.stats.retained > 0, `${store.stats.retained} rows removed without applyRetention()`);
  t.ok(store.history({ limit: Infinity }).length < 1500);
});

t.test("retention's row estimate probes the ends of the rowid tree, never scans the table", async (t) => {
  const dir = t.testdir();
  const store = Store.open({ dataDir: dir });
  for (let i = 0; i < 5; i++) await store.recordIncoming(msg());
  await store.close();
  const db = new Database(join(dir, 'peerchat.db'), { readonly: true });
  t.teardown(() => db.close());
  const plan = db.prepare(`EXPLAIN QUERY PLAN ${SPAN}`).all() as Array<{ detail: string }>;
  const details = plan.map((p) => p.detail);
  t.notOk(
    details.some((d) => /^SCAN messages\b/.test(d)),
    details.join('; '),
  );
  t.equal(details.filter((d) => d === 'SEARCH messages').length, 2, 'one probe for max, one for min');
  t.same(db.prepare(SPAN).get(), { n: 5 }, 'five rows: the span is 5');
});

t.test('pending rows are capped: past maxPending the oldest are released', async (t) => {
  const store = Store.open({ dataDir: t.testdir(), retention: { maxPending: 5 } });
  t.teardown(() => store.close());
  const ms = Array.from({ length: 8 }, (_, i) => msg({ text: `p${i}` }));
  for (const m of ms) {
    await store.recordIncoming(m);
    await store.addPending(m.id);
  }
  t.same(
    store.takePending().map((m) => m.text),
    ['p3', 'p4', 'p5', 'p6', 'p7'],
  );
  t.equal(store.history({ limit: Infinity }).length, 8, 'released rows stay in the history');
});

t.test('a failed read is a coded error with the SQLite error as its cause', async (t) => {
  const store = Store.open({ dataDir: t.testdir() });
  t.teardown(() => store.close());
  await store.recordIncoming(msg());
  const side = new Database(store.path);
  side.exec('DROP TABLE peers');
  side.close();
  let err: (Error & { code?: string; cause?: { code?: string } }) | undefined;
  try {
    store.peers();
  } catch (e) {
    err = e as typeof err;
  }
  t.match(err, { code: 'ERR_STORE_READ', cause: { code: 'SQLITE_ERROR' } });
  t.equal(store.history().length, 1, 'other reads still work');
});

t.test('hasRoom follows the outbox limits; an ack with its key frees room before its commit', async (t) => {
  const store = Store.open({ dataDir: t.testdir(), outbox: { maxPerPeer: 2, maxTotal: 3 } });
  t.teardown(() => store.close());
  t.ok(store.hasRoom(KEY_A));
  const a1 = out({ id: 'a1' });
  await store.enqueue(a1, KEY_A);
  await store.enqueue(out({ id: 'a2' }), KEY_A);
  t.notOk(store.hasRoom(KEY_A), 'per peer limit reached');
  t.ok(store.hasRoom(KEY_B));
  await store.enqueue(out({ id: 'b1' }), KEY_B);
  t.notOk(store.hasRoom(KEY_B), 'total limit reached');
  const acked = store.markAcked('a1', KEY_A);
  t.ok(store.hasRoom(KEY_A), 'room at once, before the commit');
  t.equal(await acked, true);
  t.ok(store.hasRoom(KEY_A), 'and after it');
  await store.enqueue(out({ id: 'a3' }), KEY_A);
  t.notOk(store.hasRoom(KEY_A));
  t.equal(await store.markAcked('a1', KEY_A), false, 'a repeated ack changes nothing');
  t.notOk(store.hasRoom(KEY_A), 'and frees nothing once committed');
});
