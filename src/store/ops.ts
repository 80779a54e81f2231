/**
 * The store's writes, as plain data (Op) and their execution against the write connection. They run
 * on the writer worker, inside its group-commit transaction; the main thread only sends Ops and
 * reads the results.
 */
import type Database from 'better-sqlite3';
import { PeerchatError } from '../errors.js';
import type { ChatMessage, Via } from '../types.js';
import { recordContact } from './contacts.js';
import { deleteHeavyFirst } from './fair-retention.js';
import { awaitsAck, IN_OUTBOX, type MessageState, params, type Row, toMessage, UNVERIFIED } from './rows.js';

export interface RetentionLimits {
  /** Delete history stored more than this many days ago. Null: no age limit. */
  days: number | null;
  /** Keep at most this many history rows. Null: no limit. */
  maxMessages: number | null;
  /** Keep the database's used pages under this many bytes. Null: no limit. */
  maxBytes: number | null;
}

export type Op =
  | { t: 'incoming'; msg: ChatMessage }
  | { t: 'room'; msg: ChatMessage }
  | { t: 'enqueue'; msg: ChatMessage; key: string | null }
  | { t: 'transition'; id: string; to: MessageState; from: MessageState[]; error: string | null }
  /** The peer acked it (from queued, sent or failed). The writer runs a batch's acks in bulk (acks.ts). */
  | { t: 'ack'; id: string }
  | { t: 'retry'; id: string }
  | { t: 'drop'; id: string }
  | { t: 'seen'; address: string; key: string; name: string | null; at: number; via?: Via }
  | { t: 'pend'; id: string; max: number }
  | { t: 'unpend'; seqs: number[]; ids: string[] }
  | { t: 'expire'; ids: string[]; reason: string; now: number }
  | { t: 'retain'; now: number };

/** Changes to the outbox counters (rows awaiting an ack per key) made by one op. */
export type Deltas = Array<[key: string, delta: number]>;

const DAY_MS = 24 * 60 * 60 * 1000;
/** Retention by size deletes down to this share of maxBytes, so it does not run on every write. */
const SIZE_LOW_WATER = 0.9;

/** Takes params() (rows.ts). */
const INSERT = `INSERT OR IGNORE INTO messages
  (id, direction, peer_address, peer_key, fingerprint, verified, name, text, ts, protocol, acks, state, error,
   created_at, updated_at, queued_at, room)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?)`;

/**
 * max(seq) - min(seq) + 1: at least the row count. Each as its own subquery: SQLite answers a lone
 * min() or max() with one probe of the rowid tree, but `max(seq) - min(seq)` with a full scan
 * (5.5 ms at 50,000 rows, and retention runs every 1,000 inserted rows).
 */
export const SPAN =
  'SELECT coalesce((SELECT max(seq) FROM messages) - (SELECT min(seq) FROM messages) + 1, 0) AS n';

export class Ops {
  private readonly statements = new Map<string, Database.Statement>();
  private deltas: Deltas = [];

  constructor(
    private readonly db: Database.Database,
    private readonly retention: RetentionLimits,
  ) {}

  /** Run one op inside the current transaction. A PeerchatError it throws rejects only this op. */
  run(op: Op): { value: unknown; deltas: Deltas } {
    this.deltas = [];
    const value = this.dispatch(op);
    return { value, deltas: this.deltas };
  }

  private dispatch(op: Op): unknown {
    switch (op.t) {
      case 'incoming':
        return this.incoming(op.msg);
      case 'room': {
        // a room log entry, said here ('out', never resent) or by another member ('in')
        const direction = op.msg.direction === 'out' ? 'out' : 'in';
        const state: MessageState = direction === 'out' ? 'sent' : 'acked';
        const p = params(op.msg, direction, op.msg.key ?? UNVERIFIED, false, Date.now(), state);
        return this.stmt(INSERT).run(p).changes === 1;
      }
      case 'enqueue':
        return this.enqueue(op.msg, op.key);
      case 'transition':
        return this.transition(op.id, op.to, op.from, op.error, Date.now());
      case 'ack':
        return this.transition(op.id, 'acked', ['queued', 'sent', 'failed'], null, Date.now());
      case 'retry':
        return this.retry(op.id);
      case 'drop':
        return this.drop(op.id);
      case 'seen':
        this.stmt(
          `INSERT INTO peers (address, key, name, first_seen, last_seen) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (address, key) DO UPDATE SET name = coalesce(excluded.name, name),
             last_seen = max(last_seen, excluded.last_seen)`,
        ).run(op.address, op.key, op.name, op.at, op.at);
        recordContact(this.db, {
          address: op.address,
          key: op.key === UNVERIFIED ? null : op.key,
          name: op.name,
          via: op.via ?? 'tcp',
          at: op.at,
        });
        return undefined;
      case 'pend':
        return this.pend(op.id, op.max);
      case 'unpend':
        for (const seq of op.seqs) this.stmt('DELETE FROM pending WHERE seq = ?').run(seq);
        for (const id of op.ids) this.unpend(id);
        return undefined;
      case 'expire':
        for (const id of op.ids) this.transition(id, 'failed', ['queued', 'sent'], op.reason, op.now);
        return undefined;
      case 'retain':
        return this.retain(op.now);
    }
  }

  /** True when stored; false for a copy of a message this sender's key already sent (same id). */
  private incoming(msg: ChatMessage): boolean {
    const p = params(msg, 'in', msg.key ?? UNVERIFIED, false, Date.now());
    return this.stmt(INSERT).run(p).changes === 1;
  }

  private enqueue(msg: ChatMessage, key: string | null): undefined {
    const p = params(msg, 'out', key ?? UNVERIFIED, key !== null, Date.now());
    const taken = this.stmt("SELECT 1 FROM messages WHERE id = ? AND direction = 'out'").get(p[0]); // index only
    if (taken || this.stmt(INSERT).run(p).changes === 0) {
      throw new PeerchatError('ERR_USAGE', `a message with id ${p[0]} is already stored`);
    }
    if (key !== null) this.deltas.push([key, 1]);
    return undefined;
  }

  private retry(id: string): ReturnType<typeof toMessage> {
    const r = this.outRow(id);
    if (r?.state !== 'failed') {
      throw new PeerchatError(
        'ERR_USAGE',
        `no queued or failed outgoing message with id ${id} (delivered already? .history shows it)`,
      );
    }
    const now = Date.now();
    this.transition(id, 'queued', ['failed'], null, now);
    this.stmt('UPDATE messages SET queued_at = ? WHERE seq = ?').run(now, r.seq);
    return { ...toMessage(r), state: 'queued', error: null, updatedAt: now };
  }

  private drop(id: string): boolean {
    const r = this.stmt(`SELECT * FROM messages WHERE id = ? AND ${IN_OUTBOX}`).get(id) as Row | undefined;
    if (!r) return false;
    this.stmt('DELETE FROM messages WHERE seq = ?').run(r.seq);
    if (awaitsAck(r)) this.deltas.push([r.peer_key, -1]);
    return true;
  }

  /** Hold the newest incoming row with this id; past `max` held rows the oldest are released. */
  private pend(id: string, max: number): boolean {
    const r = this.stmt("SELECT max(seq) AS seq FROM messages WHERE id = ? AND direction = 'in'").get(id) as {
      seq: number | null;
    };
    if (r.seq === null) return false;
    this.stmt('INSERT OR IGNORE INTO pending (message_seq) VALUES (?)').run(r.seq);
    this.stmt(
      'DELETE FROM pending WHERE seq <= (SELECT seq FROM pending ORDER BY seq DESC LIMIT 1 OFFSET ?)',
    ).run(Math.max(0, max));
    return true;
  }

  /** Release the held row pend(id) picked. */
  private unpend(id: string): void {
    this.stmt(
      "DELETE FROM pending WHERE message_seq = (SELECT max(seq) FROM messages WHERE id = ? AND direction = 'in')",
    ).run(id);
  }

  /** Move an outgoing row between states, reporting the change to the outbox counters. */
  private transition(
    id: string,
    to: MessageState,
    from: MessageState[],
    error: string | null,
    now: number,
  ): boolean {
    // the columns needed only: building a whole row object costs more than the lookup itself
    const r = this.stmt(
      "SELECT seq, state, acks, peer_key FROM messages WHERE seq = (SELECT min(seq) FROM messages WHERE id = ? AND direction = 'out')",
    ).get(id) as Pick<Row, 'seq' | 'state' | 'acks' | 'peer_key'> | undefined;
    if (!r || !from.includes(r.state)) return false;
    this.stmt('UPDATE messages SET state = ?, error = ?, updated_at = ? WHERE seq = ?').run(
      to,
      error,
      now,
      r.seq,
    );
    const delta = Number(awaitsAck({ acks: r.acks, state: to })) - Number(awaitsAck(r));
    if (delta !== 0) this.deltas.push([r.peer_key, delta]);
    return true;
  }

  /** Delete history beyond the limits (outbox and pending rows are kept) and give the space back. */
  retain(now: number): number {
    const keep = `NOT (${IN_OUTBOX}) AND seq NOT IN (SELECT message_seq FROM pending)`;
    let deleted = 0;
    const { days, maxMessages, maxBytes } = this.retention;
    if (days !== null && days >= 0) {
      deleted += this.stmt(`DELETE FROM messages WHERE created_at < ? AND ${keep}`).run(
        now - days * DAY_MS,
      ).changes;
    }
    const span = this.stmt(SPAN).get() as {
      n: number;
    };
    if (maxMessages !== null && maxMessages >= 0 && span.n > maxMessages) {
      const nth = this.stmt('SELECT seq FROM messages ORDER BY seq DESC LIMIT 1 OFFSET ?').get(maxMessages) as
        | { seq: number }
        | undefined;
      if (nth) {
        // as many rows as keeping the newest maxMessages would delete, but the heavy senders'
        // oldest first (fair-retention.ts), then the oldest of everyone's
        const n = (
          this.stmt(`SELECT count(*) AS n FROM messages WHERE seq <= ? AND ${keep}`).get(nth.seq) as {
            n: number;
          }
        ).n;
        const rows = (this.stmt('SELECT count(*) AS n FROM messages').get() as { n: number }).n;
        let gone = deleteHeavyFirst(this.db, rows, n, keep);
        if (gone < n) {
          gone += this.stmt(
            `DELETE FROM messages WHERE seq IN (SELECT seq FROM messages WHERE ${keep} ORDER BY seq LIMIT ?)`,
          ).run(n - gone).changes;
        }
        deleted += gone;
      }
    }
    if (maxBytes !== null && maxBytes >= 0) {
      // a few rounds: the first estimate from the average row size may fall short
      for (let round = 0; round < 4 && this.usedBytes() > maxBytes; round++) {
        const rows = (this.stmt('SELECT count(*) AS n FROM messages').get() as { n: number }).n;
        if (rows === 0) break;
        const excess = this.usedBytes() - maxBytes * SIZE_LOW_WATER;
        const n = Math.max(1, Math.ceil(excess / (this.usedBytes() / rows)));
        const gone = this.stmt(
          `DELETE FROM messages WHERE seq IN (SELECT seq FROM messages WHERE ${keep} ORDER BY seq LIMIT ?)`,
        ).run(n).changes;
        deleted += gone;
        if (gone === 0) break;
        this.db.pragma('incremental_vacuum');
      }
    }
    if (deleted > 0) this.db.pragma('incremental_vacuum'); // free pages back to the file system
    return deleted;
  }

  /** Bytes in pages that hold data (the file minus its free pages). */
  private usedBytes(): number {
    const pages = this.db.pragma('page_count', { simple: true }) as number;
    const free = this.db.pragma('freelist_count', { simple: true }) as number;
    const size = this.db.pragma('page_size', { simple: true }) as number;
    return (pages - free) * size;
  }

  private outRow(id: string): Row | undefined {
    return this.stmt(
      "SELECT * FROM messages WHERE seq = (SELECT min(seq) FROM messages WHERE id = ? AND direction = 'out')",
    ).get(id) as Row | undefined;
  }

  private stmt(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }
}
