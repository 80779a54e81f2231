import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { isPeerchatError } from '../../src/errors.js';
import { DB_FILE } from '../../src/store/db.js';
import { APPLICATION_ID, LATEST_VERSION } from '../../src/store/migrations.js';
import { Store } from '../../src/store/store.js';
import { msg, spawnChild, thrown } from './helpers.js';

// every Store starts a writer thread; under tap's TypeScript loader each one compiles its sources
t.setTimeout(180_000);

t.test('fresh open creates a migrated WAL database', async (t) => {
  const dir = t.testdir();
  const store = Store.open({ dataDir: join(dir, 'nested') });
  t.teardown(() => store.close());
  t.equal(store.path, join(dir, 'nested', DB_FILE));
  await store.close();
  const db = new Database(store.path, { readonly: true });
  t.equal(db.pragma('user_version', { simple: true }), LATEST_VERSION);
  t.equal(db.pragma('application_id', { simple: true }), APPLICATION_ID);
  t.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  const tables = (
    db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").all() as {
      name: string;
    }[]
  ).map((r) => r.name);
  t.same(tables, ['contacts', 'messages', 'peers', 'pending']);
  db.close();
});

t.test('re-open keeps data and does not migrate twice', async (t) => {
  const dir = t.testdir();
  const a = Store.open({ dataDir: dir });
  const m = msg();
  t.equal(await a.recordIncoming(m), true);
  await a.close();
  const b = Store.open({ dataDir: dir });
  t.teardown(() => b.close());
  t.equal(b.get(m.id)?.text, 'hello');
  t.equal(await b.recordIncoming(m), false, 'still a duplicate after re-open');
});

t.test('a database from a newer peerchat is refused, not touched', async (t) => {
  const dir = t.testdir();
  await Store.open({ dataDir: dir }).close();
  const path = join(dir, DB_FILE);
  const db = new Database(path);
  db.pragma(`user_version = ${LATEST_VERSION + 1}`);
  db.close();
  const err = thrown(() => Store.open({ dataDir: dir }));
  t.ok(isPeerchatError(err, 'ERR_STORE_VERSION'));
  t.match(err.message, path);
  t.match(err.message, /newer peerchat/);
  const check = new Database(path, { readonly: true });
  t.equal(check.pragma('user_version', { simple: true }), LATEST_VERSION + 1);
  check.close();
  // the lock was released by the failed open
  t.throws(() => Store.open({ dataDir: dir }), { code: 'ERR_STORE_VERSION' });
});

t.test('garbage in peerchat.db gives ERR_STORE_CORRUPT and the file stays', async (t) => {
  const dir = t.testdir();
  const path = join(dir, DB_FILE);
  const garbage = Buffer.alloc(8192, 'not a database at all ');
  writeFileSync(path, garbage);
  const err = thrown(() => Store.open({ dataDir: dir }));
  t.ok(isPeerchatError(err, 'ERR_STORE_CORRUPT'));
  t.match(err.message, path);
  t.match(err.message, /move it aside/);
  t.ok(err.cause, 'keeps the cause');
  t.ok(existsSync(path));
  t.same(readFileSync(path), garbage, 'not modified');
});

t.test('an SQLite file of another program is refused', async (t) => {
  const dir = t.testdir();
  const db = new Database(join(dir, DB_FILE));
  db.exec('CREATE TABLE other (x)');
  db.close();
  t.throws(() => Store.open({ dataDir: dir }), {
    code: 'ERR_STORE_CORRUPT',
    message: /not a peerchat database/,
  });
});

t.test('a second open of the same directory in the same process fails with ERR_STORE_LOCKED', async (t) => {
  const dir = t.testdir();
  const a = Store.open({ dataDir: dir });
  const err = thrown(() => Store.open({ dataDir: dir }));
  t.ok(isPeerchatError(err, 'ERR_STORE_LOCKED'));
  t.match(err.message, dir);
  await a.close();
  const b = Store.open({ dataDir: dir });
  await b.close();
  t.pass('open succeeds after close');
});

t.test('another process holding the directory blocks; after SIGKILL a new open succeeds', async (t) => {
  const dir = t.testdir();
  const child = spawnChild('hold', dir);
  t.teardown(() => {
    child.proc.kill('SIGKILL');
  });
  await child.waitLine((l) => l === 'READY');
  t.throws(() => Store.open({ dataDir: dir }), { code: 'ERR_STORE_LOCKED', message: new RegExp(dir) });

  // and the child sees the lock held by this process the other way round
  child.proc.kill('SIGKILL');
  await child.exited;
  const store = Store.open({ dataDir: dir });
  const second = spawnChild('hold', dir);
  t.teardown(() => {
    second.proc.kill('SIGKILL');
  });
  const line = await second.waitLine((l) => l.startsWith('ERROR') || l === 'READY');
  t.match(line, /^ERROR ERR_STORE_LOCKED .*another peerchat process/);
  await store.close();
});

t.test('read-only open works beside the writer and refuses writes', async (t) => {
  const dir = t.testdir();
  const empty = Store.open({ dataDir: join(dir, 'none'), readonly: true });
  t.same(empty.history(), [], 'a missing file reads as empty history');
  t.notOk(existsSync(join(dir, 'none', DB_FILE)), 'nothing created');
  await empty.close();

  const w = Store.open({ dataDir: dir });
  t.teardown(() => w.close());
  const m = msg();
  await w.recordIncoming(m);
  const r = Store.open({ dataDir: dir, readonly: true });
  t.teardown(() => r.close());
  t.equal(r.history().length, 1);
  await t.rejects(r.recordIncoming(msg()), { code: 'ERR_STORE_READONLY' });
  await w.recordIncoming(msg());
  t.equal(r.history().length, 2, 'sees later commits');
});

t.test('methods after close reject ERR_CLOSED', async (t) => {
  const store = Store.open({ dataDir: t.testdir() });
  await store.close();
  await store.close();
  await t.rejects(store.recordIncoming(msg()), { code: 'ERR_CLOSED' });
  t.throws(() => store.history(), { code: 'ERR_CLOSED' });
});

t.test('read-only open of a database no peer has open', async (t) => {
  const dir = t.testdir();
  const w = Store.open({ dataDir: dir });
  const m = msg();
  await w.recordIncoming(m);
  await w.close();
  const r = Store.open({ dataDir: dir, readonly: true });
  t.teardown(() => r.close());
  t.equal(r.get(m.id)?.id, m.id);
  t.throws(() => r.takePending(), { code: 'ERR_STORE_READONLY' });
  const w2 = Store.open({ dataDir: dir });
  t.teardown(() => w2.close());
  t.pass('a reader does not hold the lock');
});
