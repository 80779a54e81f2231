/**
 * Group commit: writes are queued in memory and committed together, one transaction (one fsync)
 * for many messages. A write's promise resolves only after its COMMIT returned.
 */
import type Database from 'better-sqlite3';
import { PeerchatError } from '../errors.js';

export const FLUSH_DELAY_MS = 5; // the longest a write waits for company
export const FLUSH_MAX = 256; // a batch this large is flushed at once (from setImmediate)

interface QueuedWrite {
  run: () => unknown;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

export interface GroupCommitStats {
  /** Transactions committed (or attempted). */
  transactions: number;
  /** Writes committed. */
  writes: number;
}

export class GroupCommit {
  readonly stats: GroupCommitStats = { transactions: 0, writes: 0 };
  private queue: QueuedWrite[] = [];
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;

  /**
   * @param mapError turns a failed transaction's error into the error every write of the batch rejects with
   * @param onBatchFailed runs after a rolled-back batch (to rebuild state kept beside the database)
   */
  constructor(
    private readonly db: Database.Database,
    private readonly mapError: (err: unknown) => Error,
    private readonly onBatchFailed: () => void = () => {},
  ) {}

  /** Writes not committed yet. */
  get size(): number {
    return this.queue.length;
  }

  /**
   * Queue `run` for the next transaction. `run` executes inside it; a PeerchatError it throws rejects
   * only this write (throw it before writing anything), any other error rolls back the whole batch.
   */
  write<T>(run: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ run, resolve: resolve as (value: unknown) => void, reject });
      this.schedule();
    });
  }

  /** Commit everything queued now (close, and reads that must see every write). */
  flushSync(): void {
    this.clearTimers();
    while (this.queue.length > 0) this.flushBatch();
  }

  close(): void {
    this.flushSync();
  }

  private schedule(): void {
    if (this.queue.length >= FLUSH_MAX) {
      if (this.timer) {
        clearTimeout(this.timer);
        this.timer = null;
      }
      // setImmediate, never inline: the caller's promise chains must not starve the event loop
      this.immediate ??= setImmediate(() => this.onTick());
    } else if (!this.timer && !this.immediate) {
      this.timer = setTimeout(() => this.onTick(), FLUSH_DELAY_MS);
    }
  }

  private onTick(): void {
    this.clearTimers();
    this.flushBatch();
    if (this.queue.length > 0) this.schedule();
  }

  private clearTimers(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = null;
    this.immediate = null;
  }

  private flushBatch(): void {
    const batch = this.queue.splice(0, FLUSH_MAX);
    if (batch.length === 0) return;
    const results: { ok: boolean; value: unknown }[] = [];
    this.stats.transactions++;
    try {
      this.db.transaction(() => {
        for (const w of batch) {
          try {
            results.push({ ok: true, value: w.run() });
          } catch (err) {
            if (!(err instanceof PeerchatError)) throw err;
            results.push({ ok: false, value: err });
          }
        }
      })();
    } catch (err) {
      const mapped = this.mapError(err);
      for (const w of batch) w.reject(mapped);
      this.onBatchFailed();
      return;
    }
    this.stats.writes += batch.length;
    batch.forEach((w, i) => {
      const r = results[i]!;
      if (r.ok) w.resolve(r.value);
      else w.reject(r.value);
    });
  }
}
