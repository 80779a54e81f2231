/**
 * Opening the database file: the data-directory lock, the pragmas measured to lose nothing across
 * kill -9, migrations, and clear errors for locked, corrupt and newer files.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { PeerchatError } from '../errors.js';
import { checkVersion, LATEST_VERSION, migrate } from './migrations.js';

export const DB_FILE = 'peerchat.db';
/** A tiny SQLite file held under an exclusive OS lock while a peer runs; the OS drops it when the process dies. */
export const LOCK_FILE = 'peerchat.lock';
export const BUSY_TIMEOUT_MS = 5000; // one writer, but a reader (peerchat history) may briefly hold the WAL
export const JOURNAL_SIZE_LIMIT = 64 * 1024 * 1024; // truncate the WAL file back to this after checkpoints
/** Messages are private: the file, and the -wal/-shm SQLite derives from its mode, are owner-only. */
const FILE_MODE = 0o600;

/** Create `path` owner-only if missing, and take group/other access away from an existing one. */
export function privateFile(path: string): void {
  if (!existsSync(path)) closeSync(openSync(path, 'a', FILE_MODE));
  chmodSync(path, FILE_MODE);
}

export interface OpenedDb {
  db: Database.Database;
  path: string;
  /** Close the database, then drop the data-directory lock. */
  close(): void;
  /** Close the database only; the lock stays until close(). */
  closeDb(): void;
}

/** True for errors that mean the file is not a usable database. */
export function isCorruption(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && /^SQLITE_(CORRUPT|NOTADB|CANTOPEN|PERM|AUTH|READONLY|IOERR)/.test(code);
}

export function corruptError(path: string, err: unknown): PeerchatError {
  const reason = err instanceof Error ? err.message : String(err);
  return new PeerchatError(
    'ERR_STORE_CORRUPT',
    `cannot use the database ${path} (${reason}). Nothing was deleted. If the file is damaged, move it aside ` +
      `(together with ${path}-wal and ${path}-shm if they exist), e.g. "mv ${path} ${path}.bad", and start again ` +
      'with an empty history; check its permissions if it is only unreadable',
    { cause: err },
  );
}

/** A failed read or write that is not corruption, coded, with the SQLite error as its cause. */
export function storeError(
  code: 'ERR_STORE_WRITE' | 'ERR_STORE_READ',
  path: string,
  err: unknown,
): PeerchatError {
  const verb = code === 'ERR_STORE_READ' ? 'read' : 'write';
  return new PeerchatError(
    code,
    `cannot ${verb} ${path}: ${err instanceof Error ? err.message : String(err)}`,
    { cause: err },
  );
}

/** Take the exclusive lock of a data directory, or throw ERR_STORE_LOCKED naming it. */
export function lockDataDir(dataDir: string): Database.Database {
  const path = join(dataDir, LOCK_FILE);
  let lock: Database.Database | undefined;
  try {
    privateFile(path);
    lock = new Database(path, { timeout: 0 });
    lock.pragma('locking_mode = EXCLUSIVE');
    // a write takes the EXCLUSIVE lock; locking_mode keeps it until the connection closes or the process dies
    lock.exec('BEGIN EXCLUSIVE');
    lock.pragma(`user_version = ${process.pid}`);
    lock.exec('COMMIT');
    return lock;
  } catch (err) {
    lock?.close();
    if ((err as { code?: unknown })?.code === 'SQLITE_BUSY') {
      throw new PeerchatError(
        'ERR_STORE_LOCKED',
        `another peerchat process is using the data directory ${dataDir}; stop it, or start this peer with another data directory`,
        { cause: err },
      );
    }
    throw new PeerchatError(
      'ERR_STORE_CORRUPT',
      `cannot use the lock file ${path} (${err instanceof Error ? err.message : String(err)}); ` +
        'it holds no messages: if no peerchat is running, delete it and start again',
      { cause: err },
    );
  }
}

/** Open `<dataDir>/peerchat.db` as the one writer: lock, pragmas, migrations. */
export function openWriter(dataDir: string): OpenedDb {
  const path = join(dataDir, DB_FILE);
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw corruptError(path, err);
  }
  const lock = lockDataDir(dataDir);
  let db: Database.Database | undefined;
  try {
    privateFile(path);
    for (const side of ['-wal', '-shm']) if (existsSync(path + side)) chmodSync(path + side, FILE_MODE);
    db = new Database(path, { timeout: BUSY_TIMEOUT_MS });
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal')
      throw new Error(`the file system does not support WAL mode (journal_mode is ${mode})`);
    db.pragma('synchronous = FULL');
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.pragma(`journal_size_limit = ${JOURNAL_SIZE_LIMIT}`);
    migrate(db, path);
  } catch (err) {
    db?.close();
    lock.close();
    if (err instanceof PeerchatError) throw err;
    throw corruptError(path, err);
  }
  const opened = db;
  return {
    db: opened,
    path,
    close() {
      try {
        if (opened.open) opened.close();
      } finally {
        lock.close();
      }
    },
    closeDb() {
      if (opened.open) opened.close();
    },
  };
}

/**
 * Open for reading only, without the lock, so `peerchat history` works while the peer runs.
 * A missing file reads as an empty history.
 */
export function openReader(dataDir: string): OpenedDb {
  const path = join(dataDir, DB_FILE);
  let db: Database.Database | undefined;
  try {
    if (!existsSync(path)) {
      db = new Database(':memory:');
      migrate(db, path);
    } else {
      db = new Database(path, { readonly: true, fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
      const version = checkVersion(db, path);
      if (version < LATEST_VERSION) {
        throw new PeerchatError(
          'ERR_STORE_VERSION',
          `${path} has an older schema (version ${version}); start the peer once to upgrade it, then read it`,
        );
      }
    }
  } catch (err) {
    db?.close();
    if (err instanceof PeerchatError) throw err;
    throw corruptError(path, err);
  }
  const opened = db;
  return {
    db: opened,
    path,
    close() {
      if (opened.open) opened.close();
    },
    closeDb() {
      if (opened.open) opened.close();
    },
  };
}

/** A read-only connection beside the writer (WAL lets it read while the worker commits). */
export function openSideReader(path: string): Database.Database {
  return new Database(path, { readonly: true, fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
}
