/**
 * Outgoing rows: enqueue within the outbox limits, state transitions, expiry, retry and drop.
 * Keeps what is in flight (writes not committed yet) so reads and expiry see a consistent outbox.
 */
import type Database from 'better-sqlite3';
import type { PeerchatError } from '../errors.js';
import type { ChatMessage } from '../types.js';
import { bump, type OutboxCounts } from './counts.js';
import type { Op } from './ops.js';
import type { Reader } from './reader.js';
import {
  AWAITING,
  IN_OUTBOX,
  type MessageState,
  OUTBOX_ROWS,
  plainMessage,
  type Row,
  type StoredMessage,
  toMessage,
  UNACKED,
} from './rows.js';

export interface OutgoingDeps {
  reader: Reader;
  counts: OutboxCounts;
  /** Run a write on the writer thread. */
  write(op: Op): Promise<unknown>;
  /** Throws unless the store is open and writable. */
  assertWritable(): void;
  /** False for a read-only or closed store (nothing will commit). */
  writable(): boolean;
  /** Add a stored id to the store's id filter. */
  remember(id: string): void;
  warn(err: PeerchatError): void;
  /** A message not acked this long after it was queued fails at expire(). */
  expireMs: number;
}

export class Outgoing {
  /** Outgoing ids with a write in flight: expire() leaves them to that write. */
  private readonly busy = new Map<string, number>();
  /** Enqueues not committed yet, with the time they were queued (expire() sees them too). */
  private readonly enqueuing = new Map<string, { msg: ChatMessage; key: string | null; at: number }>();
  /** Ids being expired (written failed, not committed yet): reads show them failed already. */
  private readonly expiring = new Map<string, string>();

  constructor(private readonly deps: OutgoingDeps) {}

  /**
   * Store an outgoing message as queued, before it is written to a session. With a peerKey (native)
   * it counts against the outbox limits (ERR_OUTBOX_FULL) and is resent by queuedFor until acked;
   * without one (classic) it is never resent.
   */
  enqueue(msg: ChatMessage, peerKey: string | null): Promise<void> {
    try {
      this.deps.assertWritable();
      if (peerKey !== null) this.deps.counts.check(peerKey);
    } catch (err) {
      return Promise.reject(err);
    }
    if (peerKey !== null) this.deps.counts.reserve(peerKey);
    const m = plainMessage(msg);
    const id = m.id;
    this.enqueuing.set(id, { msg: m, key: peerKey, at: Date.now() });
    return this.track(id, this.deps.write({ t: 'enqueue', msg: m, key: peerKey }), (ok) => {
      this.enqueuing.delete(id);
      if (peerKey !== null) this.deps.counts.release(peerKey);
      if (ok) this.deps.remember(id);
    }) as Promise<void>;
  }

  /** Written to a session. Native rows stay resendable until acked. Resolves false if nothing changed. */
  markSent(id: string): Promise<boolean> {
    return this.transition(id, 'sent', ['queued'], null);
  }

  /** The peer acknowledged it: delivered. `after` runs once the write settled. */
  markAcked(id: string, after: (() => void) | null = null): Promise<boolean> {
    return this.track(String(id), this.deps.write({ t: 'ack', id: String(id) }), after) as Promise<boolean>;
  }

  markFailed(id: string, reason: string): Promise<boolean> {
    return this.transition(id, 'failed', ['queued', 'sent'], reason);
  }

  /** Native messages to this key not acked yet, oldest first: resend them, same id, on a new session. */
  queuedFor(peerKey: string): StoredMessage[] {
    return this.deps.reader
      .all<Row>(`SELECT * FROM messages WHERE ${AWAITING} AND peer_key = ? ORDER BY seq`, peerKey)
      .filter((r) => !this.expiring.has(r.id))
      .map(toMessage);
  }

  /**
   * Mark messages queued longer than expireMs as failed and return them (emit an event for each).
   * A message with a write in flight (its ack, say) is left to that write.
   */
  expire(now: number = Date.now()): StoredMessage[] {
    this.deps.assertWritable();
    const cutoff = now - this.deps.expireMs;
    const reason = `expired: not delivered within ${Math.round(this.deps.expireMs / 1000)} s`;
    const rows = this.deps.reader
      .all<Row>(
        `SELECT * FROM ${OUTBOX_ROWS} WHERE ${UNACKED} AND state IN ('queued', 'sent') ` +
          'AND queued_at < ? ' +
          "AND (acks = 1 OR state = 'queued') ORDER BY seq",
        cutoff,
      )
      .filter((r) => !this.busy.has(r.id) && !this.expiring.has(r.id));
    // enqueues still committing: the expiry op runs after them (one queue), so it finds their rows
    const young = [...this.enqueuing.values()].filter(
      (e) => e.at < cutoff && (this.busy.get(e.msg.id) ?? 0) <= 1 && !this.expiring.has(e.msg.id),
    );
    if (rows.length === 0 && young.length === 0) return [];
    const ids = [...rows.map((r) => r.id), ...young.map((e) => e.msg.id)];
    for (const id of ids) this.expiring.set(id, reason);
    this.deps
      .write({ t: 'expire', ids, reason, now })
      .catch((err) => this.deps.warn(err))
      .finally(() => {
        for (const id of ids) this.expiring.delete(id);
      });
    return [...rows.map(toMessage), ...young.map((e) => queuedRow(e.msg, e.key, e.at))].map((m) => ({
      ...m,
      state: 'failed' as const,
      error: reason,
      updatedAt: now,
    }));
  }

  /** Undelivered and failed outgoing messages, oldest first. */
  list(): StoredMessage[] {
    return this.deps.reader
      .all<Row>(`SELECT * FROM ${OUTBOX_ROWS} WHERE ${IN_OUTBOX} ORDER BY seq`)
      .map((r) => this.overlaid(toMessage(r)));
  }

  /**
   * Queue a failed message again (fresh expiry). Resolves the row: a native one is resent by queuedFor,
   * a classic one must be sent by the caller now. ERR_USAGE if it is not a failed outgoing message.
   */
  retry(id: string): Promise<StoredMessage> {
    try {
      this.deps.assertWritable();
      const r = this.deps.reader.get<Row>(
        "SELECT * FROM messages WHERE seq = (SELECT min(seq) FROM messages WHERE id = ? AND direction = 'out')",
        String(id),
      );
      if (r?.acks === 1 && r.state === 'failed') this.deps.counts.check(r.peer_key);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.track(id, this.deps.write({ t: 'retry', id: String(id) })) as Promise<StoredMessage>;
  }

  /** Remove a message from the outbox (and history) so it is never resent. Resolves false if not in the outbox. */
  drop(id: string): Promise<boolean> {
    return this.track(id, this.deps.write({ t: 'drop', id: String(id) })) as Promise<boolean>;
  }

  transition(id: string, to: MessageState, from: MessageState[], error: string | null): Promise<boolean> {
    const op: Op = {
      t: 'transition',
      id: String(id),
      to,
      from,
      error: error === null ? null : String(error),
    };
    return this.track(String(id), this.deps.write(op)) as Promise<boolean>;
  }

  /**
   * Mark `id` busy until `p` settles, then run `after` (told whether it succeeded). One reaction per
   * write, not a chain of them: a pipelining script makes thousands of these writes a second.
   */
  private track<T>(id: string, p: Promise<T>, after: ((ok: boolean) => void) | null = null): Promise<T> {
    const tracked = this.deps.writable();
    if (!tracked && after === null) return p;
    if (tracked) bump(this.busy, id, 1);
    const settled = (ok: boolean) => {
      if (tracked) bump(this.busy, id, -1);
      after?.(ok);
    };
    return p.then(
      (value) => {
        settled(true);
        return value;
      },
      (err) => {
        settled(false);
        throw err;
      },
    );
  }

  /** A row as reads should show it, with an expiry not committed yet. */
  overlaid(m: StoredMessage): StoredMessage {
    const reason = m.direction === 'out' ? this.expiring.get(m.id) : undefined;
    return reason === undefined ? m : { ...m, state: 'failed', error: reason };
  }
}

/** An enqueue not committed yet, as the row it will be. */
function queuedRow(m: ChatMessage, key: string | null, at: number): StoredMessage {
  return { ...m, direction: 'out', key, state: 'queued', error: null, createdAt: at, updatedAt: at };
}

const INTERRUPTED =
  'the peer stopped before this classic message was confirmed written; classic messages are never resent';

/** A classic row still queued at open was interrupted between enqueue and write: fail it, never resend. */
export function recoverInterrupted(db: Database.Database): void {
  db.prepare(
    "UPDATE messages SET state = 'failed', error = ?, updated_at = ? WHERE direction = 'out' AND state = 'queued' AND acks = 0",
  ).run(INTERRUPTED, Date.now());
}
