/**
 * The sender's SQLite work per message (issue 16), better-sqlite3 vs node:sqlite: group commits of
 * 1,000 enqueues (an id check and an INSERT each) together with the acks of the previous 1,000,
 * one by one (a SELECT and an UPDATE each, as before) or in bulk (src/store/acks.ts), on the
 * schema before migration 4 (four indexes) and after it (two); plus 1,000 incoming INSERTs per
 * commit, as the receiver does. WAL + synchronous=FULL. Prints µs per message and CPU per message.
 * Run: npm run build && node bench/sqlite-acks.js [N]   (on each Node version to compare)
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MIGRATIONS } from '../dist/store/migrations.js';

const N = Number(process.argv[2] ?? 20_000);
const W = 1000;
const require = createRequire(import.meta.url);
process.removeAllListeners('warning'); // Node 22 warns that node:sqlite is experimental

const KEY = 'a'.repeat(64);
const TEXT = 'x'.repeat(100);
// the indexes of schema 3, to compare with schema 4 on the same code
const V3_INDEXES = `DROP INDEX messages_unacked;
  CREATE INDEX messages_by_address ON messages (peer_address, seq);
  CREATE INDEX messages_by_key ON messages (peer_key, seq);
  CREATE INDEX messages_outbox ON messages (state, peer_key, seq) WHERE direction = 'out';`;
const INSERT = `INSERT OR IGNORE INTO messages (id, direction, peer_address, peer_key, fingerprint, verified,
  name, text, ts, protocol, acks, state, error, created_at, updated_at, queued_at)
  VALUES (?, ?, '127.0.0.1:4000', ?, 'aaaa:aaaa', 1, 'alice', ?, ?, 'native', ?, ?, NULL, ?, ?, ?)`;

function open(binding, path) {
  if (binding === 'better-sqlite3') return new (require('better-sqlite3'))(path);
  return new (require('node:sqlite').DatabaseSync)(path);
}

function run(binding, schema, bulk) {
  const dir = mkdtempSync(join(tmpdir(), 'peerchat-acks-'));
  const db = open(binding, join(dir, 'peerchat.db'));
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL');
  for (const m of MIGRATIONS) db.exec(m.sql);
  if (schema === 3) db.exec(V3_INDEXES);
  const taken = db.prepare("SELECT 1 FROM messages WHERE id = ? AND direction = 'out'");
  const insert = db.prepare(INSERT);
  const find = db.prepare(
    "SELECT seq, state, acks, peer_key FROM messages WHERE seq = (SELECT min(seq) FROM messages WHERE id = ? AND direction = 'out')",
  );
  const update = db.prepare('UPDATE messages SET state = ?, error = ?, updated_at = ? WHERE seq = ?');
  const inBulk = db.prepare(
    `UPDATE messages SET state = 'acked', error = NULL, updated_at = ? WHERE direction = 'out'
     AND id IN (SELECT value FROM json_each(?)) AND state IN ('queued', 'sent') RETURNING id, peer_key, acks`,
  );
  let previous = [];
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let done = 0; done < N; done += W) {
    db.exec('BEGIN IMMEDIATE');
    if (bulk) inBulk.all(Date.now(), JSON.stringify(previous));
    else for (const id of previous) update.run('acked', null, Date.now(), find.get(id).seq);
    const ids = [];
    for (let i = 0; i < W; i++) {
      const id = randomUUID();
      const now = Date.now();
      ids.push(id);
      if (!taken.get(id)) insert.run(id, 'out', KEY, TEXT, now, 1, 'queued', now, now, now);
    }
    db.exec('COMMIT');
    db.exec('BEGIN IMMEDIATE');
    for (let i = 0; i < W; i++) {
      const now = Date.now();
      insert.run(randomUUID(), 'in', KEY, TEXT, now, 0, 'acked', now, now, now);
    }
    db.exec('COMMIT');
    previous = ids;
  }
  const wallUs = ((performance.now() - t0) * 1000) / N;
  const c = process.cpuUsage(c0);
  db.close();
  rmSync(dir, { recursive: true, force: true });
  return { wallUs, cpuUs: (c.user + c.system) / N };
}

console.log(`node ${process.version}, N=${N}, WAL + synchronous=FULL, 3 interleaved rounds, medians`);
const cases = [];
for (const binding of ['better-sqlite3', 'node:sqlite'])
  for (const schema of [3, 4])
    for (const bulk of [false, true]) cases.push({ binding, schema, bulk, runs: [] });
for (let round = 0; round < 3; round++) for (const c of cases) c.runs.push(run(c.binding, c.schema, c.bulk));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const c of cases) {
  console.log(
    `${c.binding.padEnd(15)} schema ${c.schema} acks ${c.bulk ? 'in bulk   ' : 'one by one'}: ` +
      `${median(c.runs.map((r) => r.wallUs)).toFixed(1)} µs wall, ${median(c.runs.map((r) => r.cpuUs)).toFixed(1)} µs CPU per message`,
  );
}
