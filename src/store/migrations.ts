/**
 * Versioned schema. The version lives in SQLite's `user_version`; every migration runs in its own
 * transaction together with the version bump, so a crash leaves the file at one version or the next.
 */
import type Database from 'better-sqlite3';
import { PeerchatError } from '../errors.js';
import { CONTACTS_MIGRATION } from './contacts.js';

/** 'pcht': marks the file as a peerchat database. */
export const APPLICATION_ID = 0x70636874;

interface Migration {
  version: number;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE messages (
        seq          INTEGER PRIMARY KEY,          -- local order (arrival / creation)
        id           TEXT NOT NULL UNIQUE,         -- message id (UUIDv7); the de-duplication key
        direction    TEXT NOT NULL CHECK (direction IN ('in', 'out')),
        peer_address TEXT NOT NULL,                -- sender (in) or recipient (out), "ip:port"
        peer_key     TEXT NOT NULL,                -- hex key (native) or 'unverified' (classic)
        fingerprint  TEXT,
        verified     INTEGER NOT NULL,
        name         TEXT,
        text         TEXT NOT NULL,
        ts           INTEGER NOT NULL,             -- as stated by the sender
        protocol     TEXT NOT NULL CHECK (protocol IN ('classic', 'native')),
        acks         INTEGER NOT NULL DEFAULT 0,   -- 1: native outgoing, awaits an ack, resent until acked
        state        TEXT NOT NULL CHECK (state IN ('queued', 'sent', 'acked', 'failed')), -- 'acked' for incoming
        error        TEXT,
        created_at   INTEGER NOT NULL,
        updated_at   INTEGER NOT NULL,
        queued_at    INTEGER NOT NULL              -- expiry counts from here (reset by retry)
      );
      CREATE INDEX messages_by_address ON messages (peer_address, seq);
      CREATE INDEX messages_by_key ON messages (peer_key, seq);
      CREATE INDEX messages_outbox ON messages (state, peer_key, seq) WHERE direction = 'out';
      CREATE TABLE peers (
        address    TEXT NOT NULL,
        key        TEXT NOT NULL,                  -- hex key or 'unverified'
        name       TEXT,
        first_seen INTEGER NOT NULL,
        last_seen  INTEGER NOT NULL,
        PRIMARY KEY (address, key)
      );
      CREATE TABLE pending (
        seq        INTEGER PRIMARY KEY,
        message_id TEXT NOT NULL UNIQUE
      );
    `,
  },
  {
    // incoming rows are unique per (sender key, id), not by id alone: one peer's id cannot hide or
    // re-id another peer's message, and a resend is recognised per sender (issue 15 #17)
    version: 2,
    sql: `
      CREATE TABLE messages_v2 (
        seq          INTEGER PRIMARY KEY,
        id           TEXT NOT NULL,                -- message id; unique per (direction, peer_key)
        direction    TEXT NOT NULL CHECK (direction IN ('in', 'out')),
        peer_address TEXT NOT NULL,
        peer_key     TEXT NOT NULL,
        fingerprint  TEXT,
        verified     INTEGER NOT NULL,
        name         TEXT,
        text         TEXT NOT NULL,
        ts           INTEGER NOT NULL,
        protocol     TEXT NOT NULL CHECK (protocol IN ('classic', 'native')),
        acks         INTEGER NOT NULL DEFAULT 0,
        state        TEXT NOT NULL CHECK (state IN ('queued', 'sent', 'acked', 'failed')),
        error        TEXT,
        created_at   INTEGER NOT NULL,
        updated_at   INTEGER NOT NULL,
        queued_at    INTEGER NOT NULL
      );
      INSERT INTO messages_v2 SELECT seq, id, direction, peer_address, peer_key, fingerprint, verified, name,
        text, ts, protocol, acks, state, error, created_at, updated_at, queued_at FROM messages;
      CREATE TABLE pending_v2 (
        seq         INTEGER PRIMARY KEY,
        message_seq INTEGER NOT NULL UNIQUE        -- messages.seq (ids are no longer unique)
      );
      INSERT INTO pending_v2 (seq, message_seq)
        SELECT p.seq, m.seq FROM pending p JOIN messages m ON m.id = p.message_id;
      DROP TABLE pending;
      DROP TABLE messages;
      ALTER TABLE messages_v2 RENAME TO messages;
      ALTER TABLE pending_v2 RENAME TO pending;
      CREATE UNIQUE INDEX messages_identity ON messages (id, direction, peer_key);
      CREATE INDEX messages_by_address ON messages (peer_address, seq);
      CREATE INDEX messages_by_key ON messages (peer_key, seq);
      CREATE INDEX messages_outbox ON messages (state, peer_key, seq) WHERE direction = 'out';
    `,
  },
  // the contact book (issue 17): one row per key (or keyless address), filled from peers seen so far
  { version: 3, sql: CONTACTS_MIGRATION },
  // issue 16: fewer indexes per row. history(peer) scans newest first instead (it stops at its limit);
  // the outbox index keeps only rows not acked, so an ack deletes its entry instead of moving it
  {
    version: 4,
    sql: `
      DROP INDEX messages_by_address;
      DROP INDEX messages_by_key;
      DROP INDEX messages_outbox;
      CREATE INDEX messages_unacked ON messages (peer_key, seq) WHERE direction = 'out' AND state <> 'acked';
    `,
  },
  // group rooms (issue 18): a room message keeps its room; null for one-to-one messages
  {
    version: 5,
    sql: `
      ALTER TABLE messages ADD COLUMN room TEXT;
      CREATE INDEX messages_by_room ON messages (room, seq) WHERE room IS NOT NULL;
    `,
  },
];

export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

/** Bring the schema up to LATEST_VERSION; refuse a file from a newer peerchat or another program. */
export function migrate(db: Database.Database, path: string): void {
  const version = checkVersion(db, path);
  // must precede the first table; an older file is converted below, once
  if (version === 0) db.pragma('auto_vacuum = INCREMENTAL');
  for (const m of MIGRATIONS) {
    if (m.version <= version) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`application_id = ${APPLICATION_ID}`);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
  if (db.pragma('auto_vacuum', { simple: true }) !== AUTO_VACUUM_INCREMENTAL && !db.readonly) {
    // a file from before auto_vacuum: one full VACUUM (outside any transaction) converts it
    db.pragma('auto_vacuum = INCREMENTAL');
    db.exec('VACUUM');
  }
}

const AUTO_VACUUM_INCREMENTAL = 2;

/** The file's schema version, after checking that this peerchat can use it. */
export function checkVersion(db: Database.Database, path: string): number {
  const appId = db.pragma('application_id', { simple: true }) as number;
  const version = db.pragma('user_version', { simple: true }) as number;
  const tables = db.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE type = 'table'").get() as {
    n: number;
  };
  if ((appId !== 0 && appId !== APPLICATION_ID) || (appId === 0 && tables.n > 0)) {
    throw new PeerchatError(
      'ERR_STORE_CORRUPT',
      `${path} is an SQLite file but not a peerchat database; move it aside (or choose another data directory) and start again`,
    );
  }
  if (version > LATEST_VERSION) {
    throw new PeerchatError(
      'ERR_STORE_VERSION',
      `${path} was written by a newer peerchat (schema version ${version}, this peerchat knows up to ${LATEST_VERSION}); ` +
        'upgrade peerchat, or move the file aside to start with an empty history',
    );
  }
  return version;
}
