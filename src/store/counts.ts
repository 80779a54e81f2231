/**
 * The outbox limits without a query: native rows awaiting an ack, per peer key, kept beside the
 * database (committed rows) plus the enqueues accepted but not committed yet (reserved).
 */
import { PeerchatError } from '../errors.js';
import type { Deltas } from './ops.js';

export class OutboxCounts {
  private committed = new Tally();
  private readonly reserved = new Tally();
  /** Acks received whose `acked` is not committed yet: no longer awaiting an ack, so not counted. */
  private readonly releasing = new Tally();

  constructor(
    readonly maxPerPeer: number,
    readonly maxTotal: number,
  ) {}

  /** Start from the committed rows in the file (at open). */
  reset(rows: Iterable<{ peer_key: string; n: number }>): void {
    this.committed = new Tally();
    for (const r of rows) this.committed.add(r.peer_key, r.n);
  }

  /** What a commit changed (the writer reports it). */
  apply(deltas: Deltas): void {
    for (const [key, d] of deltas) this.committed.add(key, d);
  }

  reserve(key: string): void {
    this.reserved.add(key, 1);
  }

  release(key: string): void {
    this.reserved.add(key, -1);
  }

  /** Messages awaiting an ack for `key`, or for all keys. */
  count(key?: string): number {
    if (key === undefined) return this.committed.total + this.reserved.total - this.releasing.total;
    return this.committed.get(key) + this.reserved.get(key) - this.releasing.get(key);
  }

  /** Whether one more native message to this key fits the limits (what check() enforces). */
  hasRoom(key: string): boolean {
    return this.count(key) < this.maxPerPeer && this.count() < this.maxTotal;
  }

  /** An ack for `key` arrived, its commit has not: it stops counting now. Returns the undo (after the commit). */
  acking(key: string): () => void {
    this.releasing.add(key, 1);
    return () => this.releasing.add(key, -1);
  }

  /** Throws ERR_OUTBOX_FULL when one more message for `peerKey` would pass a limit. */
  check(peerKey: string): void {
    if (this.count(peerKey) >= this.maxPerPeer) {
      throw new PeerchatError(
        'ERR_OUTBOX_FULL',
        `the outbox holds ${this.maxPerPeer} undelivered messages for ${peerKey} (outbox.maxPerPeer)`,
      );
    }
    if (this.count() >= this.maxTotal) {
      throw new PeerchatError(
        'ERR_OUTBOX_FULL',
        `the outbox holds ${this.maxTotal} undelivered messages in total (outbox.maxTotal)`,
      );
    }
  }
}

/** Add `delta` to a counter, deleting it at zero. */
export function bump(map: Map<string, number>, key: string, delta: number): void {
  const n = (map.get(key) ?? 0) + delta;
  if (n <= 0) map.delete(key);
  else map.set(key, n);
}

/**
 * Counters per key with their sum kept as they change: hasRoom() and check() run for every send
 * and every ack of a pipelining script, so the total is not summed over the keys each time.
 */
class Tally {
  private readonly map = new Map<string, number>();
  total = 0;

  get(key: string): number {
    return this.map.get(key) ?? 0;
  }

  /** As bump(): a counter never goes below zero, and the total moves by what the counter did. */
  add(key: string, delta: number): void {
    const old = this.map.get(key) ?? 0;
    bump(this.map, key, delta);
    this.total += (this.map.get(key) ?? 0) - old;
  }
}
