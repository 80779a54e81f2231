/**
 * The pending table: incoming messages held for the user (chat mode), kept across restarts.
 * Holds in flight are remembered so a take right after a hold still returns it.
 */
import type { PeerchatError } from '../errors.js';
import type { Op } from './ops.js';
import type { Reader } from './reader.js';
import { type Row, type StoredMessage, toMessage } from './rows.js';

export interface PendingDeps {
  reader: Reader;
  /** Run a write on the writer thread. */
  write(op: Op): Promise<unknown>;
  /** Throws unless the store is open and writable. */
  assertWritable(): void;
  /** False for a read-only or closed store (nothing will commit). */
  writable(): boolean;
  warn(err: PeerchatError): void;
  maxPending: number;
}

export class Pending {
  /** add() calls not committed yet, in order. */
  private readonly inFlight: string[] = [];
  /** Pending rows taken whose deletion is not committed yet. */
  private readonly taken = new Set<number>();

  constructor(private readonly deps: PendingDeps) {}

  /** Hold a stored incoming message for the user (chat mode). Record the message first. */
  add(id: string): Promise<void> {
    const key = String(id);
    const p = this.deps.write({ t: 'pend', id: key, max: this.deps.maxPending });
    if (this.deps.writable()) this.inFlight.push(key);
    return p
      .finally(() => {
        const i = this.inFlight.indexOf(key);
        if (i >= 0) this.inFlight.splice(i, 1);
      })
      .then(() => undefined);
  }

  /** The held messages (at most maxPending), in arrival order; clears the queue. */
  take(): StoredMessage[] {
    const { reader } = this.deps;
    this.deps.assertWritable();
    const rows = reader
      .all<Row & { pseq: number }>(
        'SELECT p.seq AS pseq, m.* FROM pending p JOIN messages m ON m.seq = p.message_seq ORDER BY p.seq',
      )
      .filter((r) => !this.taken.has(r.pseq));
    const seqs = rows.map((r) => r.pseq);
    const out = rows.map(toMessage);
    // held while their commit is still in flight: the message rows themselves are committed
    const ids = this.inFlight.splice(0);
    for (const id of ids) {
      const r = reader.get<Row>(
        "SELECT * FROM messages WHERE seq = (SELECT max(seq) FROM messages WHERE id = ? AND direction = 'in')",
        id,
      );
      if (r && !rows.some((x) => x.seq === r.seq)) out.push(toMessage(r));
    }
    if (seqs.length > 0 || ids.length > 0) {
      for (const seq of seqs) this.taken.add(seq);
      this.deps
        .write({ t: 'unpend', seqs, ids })
        .catch((err) => this.deps.warn(err))
        .finally(() => {
          for (const seq of seqs) this.taken.delete(seq);
        });
    }
    return out.slice(-this.deps.maxPending);
  }
}
