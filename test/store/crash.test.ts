import Database from 'better-sqlite3';
import t from 'tap';
import { Store } from '../../src/store/store.js';
import { spawnChild } from './helpers.js';

const ROUNDS = 3;

t.setTimeout(90_000);

t.test('rows whose promise resolved survive SIGKILL at a random moment', async (t) => {
  const dir = t.testdir();
  let queued = 0;
  let acked = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const child = spawnChild('crash', dir);
    t.teardown(() => {
      child.proc.kill('SIGKILL');
    });
    const target = 200 + Math.floor(Math.random() * 3000);
    await child.waitLine((l) => l.startsWith('ERROR') || child.lines.length >= target);
    child.proc.kill('SIGKILL');
    await child.exited;
    t.notOk(
      child.lines.some((l) => l.startsWith('ERROR')),
      `round ${round}: the child opened the store after the previous kill`,
    );

    const store = Store.open({ dataDir: dir });
    const q = child.lines.filter((l) => l.startsWith('Q ')).map((l) => l.slice(2));
    const a = child.lines.filter((l) => l.startsWith('A ')).map((l) => l.slice(2));
    const missing = q.filter((id) => store.get(id) === null);
    const notAcked = a.filter((id) => store.get(id)?.state !== 'acked');
    t.same(missing, [], `round ${round}: all ${q.length} reported enqueues are stored`);
    t.same(notAcked, [], `round ${round}: all ${a.length} reported acks are stored`);
    queued += q.length;
    acked += a.length;
    await store.close();
  }
  t.comment(`${ROUNDS} kills, ${queued} enqueues and ${acked} acks confirmed, 0 lost`);
});

t.test('SIGKILL while the writer thread is inside a commit loses nothing reported', async (t) => {
  const dir = t.testdir();
  let reported = 0;
  for (let round = 0; round < ROUNDS; round++) {
    // the test hook: the thread prints PEERCHAT_TEST_COMMIT and waits before each COMMIT
    const child = spawnChild('crash', dir, { PEERCHAT_TEST_COMMIT_PAUSE_MS: '400' });
    t.teardown(() => {
      child.proc.kill('SIGKILL');
    });
    const after = 2 + Math.floor(Math.random() * 4);
    let seen = 0;
    await child.waitLine(
      (l) => l.startsWith('ERROR') || (l.startsWith('PEERCHAT_TEST_COMMIT') && ++seen > after),
    );
    child.proc.kill('SIGKILL'); // lands inside the 400 ms pause, before that COMMIT
    await child.exited;
    t.notOk(
      child.lines.some((l) => l.startsWith('ERROR')),
      `round ${round}: the child opened the store`,
    );
    const store = Store.open({ dataDir: dir });
    const q = child.lines.filter((l) => l.startsWith('Q ')).map((l) => l.slice(2));
    const a = child.lines.filter((l) => l.startsWith('A ')).map((l) => l.slice(2));
    t.ok(q.length > 0, `round ${round}: ${q.length} enqueues reported before the kill`);
    t.same(
      q.filter((id) => store.get(id) === null),
      [],
      `round ${round}: every reported enqueue is stored`,
    );
    t.same(
      a.filter((id) => store.get(id)?.state !== 'acked'),
      [],
      `round ${round}: every reported ack is stored`,
    );
    reported += q.length;
    await store.close();
    const check = new Database(store.path, { readonly: true });
    t.equal(check.pragma('integrity_check', { simple: true }), 'ok', `round ${round}: the file is intact`);
    check.close();
  }
  t.comment(`${ROUNDS} kills mid-commit, ${reported} enqueues confirmed, 0 lost`);
});
