/**
 * A lock file beside a file several processes rewrite (a running peer and `peerchat trust` on
 * known_hosts): created with O_EXCL, holding the owner's pid. A lock whose process is gone, or
 * older than STALE_LOCK_MS, is stale and taken over.
 */
import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** No holder keeps the lock this long (it covers one read-merge-rename). */
export const STALE_LOCK_MS = 10_000;
/** How long a writer waits for the lock before giving up with a warning. */
export const LOCK_WAIT_MS = 3000;
const RETRY_MS = 5;

/** Take the lock now, or false when another live holder has it. */
export function tryLock(path: string): boolean {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      try {
        writeSync(fd, `${process.pid}\n`);
      } finally {
        closeSync(fd);
      }
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (!isStale(path)) return false;
      try {
        unlinkSync(path);
      } catch {
        // another writer took it over first: try again
      }
    }
  }
  return false;
}

/** Wait for the lock, blocking (for synchronous writers: exit, `peerchat trust`). */
export function lockSync(path: string, waitMs = LOCK_WAIT_MS): boolean {
  const end = Date.now() + waitMs;
  const cell = new Int32Array(new SharedArrayBuffer(4));
  while (!tryLock(path)) {
    if (Date.now() > end) return false;
    Atomics.wait(cell, 0, 0, RETRY_MS);
  }
  return true;
}

/** Wait for the lock without blocking the event loop. */
export async function lock(path: string, waitMs = LOCK_WAIT_MS): Promise<boolean> {
  const end = Date.now() + waitMs;
  while (!tryLock(path)) {
    if (Date.now() > end) return false;
    await sleep(RETRY_MS);
  }
  return true;
}

export function unlock(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone (taken over as stale): nothing to release
  }
}

function isStale(path: string): boolean {
  try {
    if (Date.now() - statSync(path).mtimeMs > STALE_LOCK_MS) return true;
    const pid = Number.parseInt(readFileSync(path, 'utf8'), 10);
    if (!Number.isInteger(pid) || pid <= 0) return false; // being written: give it time
    process.kill(pid, 0);
    return false;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return true; // its process is gone
    return code === 'ENOENT'; // released meanwhile: free
  }
}
