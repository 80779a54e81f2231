/**
 * better-sqlite3 vs node:sqlite (DatabaseSync) on the store's own workload (issue 13): the store
 * schema (migrations v1+v2), WAL + synchronous=FULL, and
 *   group:  incoming inserts in group commits of 1,000 (what the writer worker does under load),
 *   soak:   the crash-soak pattern, enqueue then ack by id in transactions of 64,
 *   lookup: point reads by id (the receive path's de-dup check; outbox transitions).
 * Run: npm run build && node bench/sqlite-binding.js [N]   (on each Node version to compare)
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MIGRATIONS } from '../dist/store/migrations.js';

const N = Number(process.argv[2] ?? 20_000);
const require = createRequire(import.meta.url);
process.removeAllListeners('warning'); // Node 22 warns that node:sqlite is experimental

const bindings = {
  'better-sqlite3': (path) => {
    const Database = require('better-sqlite3');
    return new Database(path);
  },
  'node:sqlite': (path) => {
    const { DatabaseSync } = require('node:sqlite');
    return new DatabaseSync(path);
  },
};

function setup(open) {
  const dir = mkdtempSync(join(tmpdir(), 'peerchat-binding-'));
  const db = open(join(dir, 'peerchat.db'));
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA auto_vacuum = INCREMENTAL');
  for (const m of MIGRATIONS) db.exec(m.sql);
  return { db, dir };
}

const INSERT = `INSERT OR IGNORE INTO messages (id, direction, peer_address, peer_key, fingerprint, verified,
  name, text, ts, protocol, acks, state, created_at, updated_at, queued_at)
  VALUES (?, ?, '127.0.0.1:4000', ?, 'aaaa:aaaa', 1, 'alice', ?, ?, 'native', ?, ?, ?, ?, ?)`;
const KEY = 'a'.repeat(64);

function run(name, open) {
  const { db, dir } = setup(open);
  const insert = db.prepare(INSERT);
  const text = 'message with some ordinary chat text in it, about a hundred bytes long, as the bench sends';
  const ids = [];
  let t0 = performance.now();
  for (let done = 0; done < N; ) {
    db.exec('BEGIN IMMEDIATE');
    for (let i = 0; i < 1000 && done < N; i++, done++) {
      const id = randomUUID();
      ids.push(id);
      const now = Date.now();
      insert.run(id, 'in', KEY, text, now, 0, 'acked', now, now, now);
    }
    db.exec('COMMIT');
  }
  const group = (N / (performance.now() - t0)) * 1000;

  const byId = db.prepare('SELECT * FROM messages WHERE seq = (SELECT min(seq) FROM messages WHERE id = ?)');
  t0 = performance.now();
  for (const id of ids) byId.get(id);
  const lookup = ((performance.now() - t0) * 1000) / ids.length;

  const outRow = db.prepare(
    "SELECT * FROM messages WHERE seq = (SELECT min(seq) FROM messages WHERE id = ? AND direction = 'out')",
  );
  const ack = db.prepare("UPDATE messages SET state = 'acked', updated_at = ? WHERE seq = ?");
  const soakN = Math.min(N, 5000);
  t0 = performance.now();
  for (let done = 0; done < soakN; ) {
    const batch = [];
    db.exec('BEGIN IMMEDIATE');
    for (let i = 0; i < 64 && done < soakN; i++, done++) {
      const id = randomUUID();
      const now = Date.now();
      if (!outRow.get(id)) insert.run(id, 'out', KEY, text, now, 1, 'queued', now, now, now);
      batch.push(id);
    }
    db.exec('COMMIT');
    db.exec('BEGIN IMMEDIATE');
    for (const id of batch) ack.run(Date.now(), outRow.get(id).seq);
    db.exec('COMMIT');
  }
  const soak = (soakN / (performance.now() - t0)) * 1000;
  db.close();
  rmSync(dir, { recursive: true, force: true });
  return { name, group, lookup, soak };
}

const fmt = (x) => Math.round(x).toLocaleString('en-US');
console.log(
  `node ${process.version}, N=${N}, WAL + synchronous=FULL, ${tmpdir()}, 3 interleaved rounds, medians`,
);
const results = { 'better-sqlite3': [], 'node:sqlite': [] };
for (let round = 0; round < 3; round++) {
  for (const [name, open] of Object.entries(bindings)) results[name].push(run(name, open));
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const [name, rs] of Object.entries(results)) {
  console.log(
    `${name.padEnd(15)} group commit ${fmt(median(rs.map((r) => r.group)))} inserts/s | ` +
      `soak pattern ${fmt(median(rs.map((r) => r.soak)))} msg/s (enqueue + ack, 64 per tx) | ` +
      `lookup by id ${median(rs.map((r) => r.lookup)).toFixed(1)} us`,
  );
}
