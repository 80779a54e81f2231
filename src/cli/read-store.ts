/**
 * Opening the message store for the read-only commands (history, export): without the lock, so they
 * work while a peer runs on the same data directory. Imported lazily by those commands only.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import { PeerchatError } from '../errors.js';
import { DB_FILE } from '../store/db.js';
import { Store } from '../store/store.js';
import type { CliIo } from './context.js';

export interface OpenedStore {
  store: Store;
  /** `<dataDir>/peerchat.db`. */
  path: string;
  /** False when no peer has written the file yet: the store reads as empty. */
  exists: boolean;
}

/** Throws ERR_USAGE for `store: false`, and the store's own errors (corrupt, newer version). */
export function openStoreReadonly(config: Config, command: string): OpenedStore {
  if (config.store === false) {
    throw new PeerchatError(
      'ERR_USAGE',
      `${command} reads the message store, but the config sets store: false (a memory-only peer keeps no ` +
        'messages); remove that setting (or PEERCHAT_STORE=false) to keep history',
    );
  }
  const path = join(config.dataDir, DB_FILE);
  const exists = existsSync(path);
  return { store: Store.open({ dataDir: config.dataDir, readonly: true }), path, exists };
}

/** One stderr line for a data directory without a database yet. */
export function noStoreHint(path: string): string {
  return `peerchat: no messages stored yet (${path} does not exist; a peer creates it on start)\n`;
}

const guarded = new WeakSet<object>();

/**
 * `peerchat history | head` closes the pipe early; the EPIPE that follows is the reader's choice and must
 * not crash the process with an unhandled 'error' event. Other stdout errors are reported on stderr.
 */
export function tolerateClosedStdout(io: CliIo): void {
  const out = io.stdout as CliIo['stdout'] & Partial<Pick<NodeJS.EventEmitter, 'on'>>;
  if (typeof out.on !== 'function' || guarded.has(out)) return;
  guarded.add(out);
  out.on('error', (err: NodeJS.ErrnoException) => {
    if (err?.code !== 'EPIPE') io.stderr.write(`peerchat: cannot write to stdout: ${err?.message}\n`);
  });
}
