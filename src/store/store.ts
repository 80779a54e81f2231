/**
 * The message store: history, the durable outbox, peers seen and the chat-mode pending queue, in one
 * SQLite file. Writes go through group commit and resolve after COMMIT; reads are synchronous.
 */
import type { Writable } from 'node:stream';
import type Database from 'better-sqlite3';
import { PeerchatError } from '../errors.js';
import type { ChatMessage, Direction, Protocol } from '../types.js';
import { GroupCommit, type GroupCommitStats } from './batch.js';
import { corruptError, isCorruption, type OpenedDb, openReader, openWriter } from './db.js';
import { type ExportFormat, formatRow, header } from './export.js';
import { newId } from './ids.js';

export type { ExportFormat };
export { newId };

/** peer_key of classic messages and peers: nothing authenticates them. */
export const UNVERIFIED = 'unverified';
export const DEFAULT_MAX_PER_PEER = 1000; // native messages awaiting an ack, per peer key
export const DEFAULT_MAX_TOTAL = 10_000; // native messages awaiting an ack, all peers
export const DEFAULT_EXPIRE_MS = 7 * 24 * 60 * 60 * 1000; // an undelivered message fails after a week
export const DEFAULT_MAX_MESSAGES = 100_000; // history rows kept (outbox and pending rows always kept)
const DEFAULT_HISTORY_LIMIT = 100;
const RETENTION_INTERVAL_MS = 60 * 60 * 1000;
const EXPORT_PAGE = 500; // rows read per query while exporting (writes may run between pages)
const DAY_MS = 24 * 60 * 60 * 1000;
const INTERRUPTED =
  'the peer stopped before this classic message was confirmed written; classic messages are never resent';

export type MessageState = 'queued' | 'sent' | 'acked' | 'failed';

/** A stored message. Incoming rows are 'acked' (received). */
export interface StoredMessage extends ChatMessage {
  state: MessageState;
  error: string | null;
  /** Local time the row was stored (ms). */
  createdAt: number;
  updatedAt: number;
}

export interface RetentionOptions {
  /** Delete history older than this many days (local storage time). @default null (no age limit) */
  days?: number | null;
  /** Keep at most this many history rows, deleting the oldest. @default 100000 */
  maxMessages?: number | null;
}

export interface OutboxOptions {
  /** Native messages awaiting an ack, per peer key. @default 1000 */
  maxPerPeer?: number;
  /** Native messages awaiting an ack, all peers. @default 10000 */
  maxTotal?: number;
  /** A message not acked this long after it was queued is marked failed by expire(). @default 604800000 (7 days) */
  expireMs?: number;
}

export interface StoreOptions {
  /** The file is `<dataDir>/peerchat.db`. */
  dataDir: string;
  retention?: RetentionOptions;
  outbox?: OutboxOptions;
  /** Read without taking the lock (history/export while the peer runs); writes reject ERR_STORE_READONLY. */
  readonly?: boolean;
}

export interface HistoryOptions {
  /** Peer address ("ip:port") or hex key. */
  peer?: string;
  /** Newest rows returned (oldest first). Infinity for all. @default 100 */
  limit?: number;
  /** A message id (rows stored before it), or a time in ms (rows stored before then). */
  before?: number | string;
  /** Case-insensitive substring of the text. */
  search?: string;
}

export interface SeenPeer {
  address: string;
  key: string | null;
  name: string | null;
  firstSeen: number;
  lastSeen: number;
}

export interface SeenPeerInput {
  address: string;
  key?: string | null;
  name?: string | null;
  /** @default Date.now() */
  at?: number;
}

interface Row {
  seq: number;
  id: string;
  direction: Direction;
  peer_address: string;
  peer_key: string;
  fingerprint: string | null;
  verified: number;
  name: string | null;
  text: string;
  ts: number;
  protocol: Protocol;
  acks: number;
  state: MessageState;
  error: string | null;
  created_at: number;
  updated_at: number;
  queued_at: number;
}

function toMessage(r: Row): StoredMessage {
  return {
    id: r.id,
    from: r.peer_address,
    name: r.name,
    text: r.text,
    protocol: r.protocol,
    verified: r.verified === 1,
    key: r.peer_key === UNVERIFIED ? null : r.peer_key,
    fingerprint: r.fingerprint,
    ts: r.ts,
    direction: r.direction,
    state: r.state,
    error: r.error,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** True while a native row still counts against the outbox limits and is resent. */
function awaitsAck(r: Pick<Row, 'acks' | 'state'>): boolean {
  return r.acks === 1 && (r.state === 'queued' || r.state === 'sent');
}

// Rows the outbox shows: not delivered yet, or failed (retry / drop).
const IN_OUTBOX = "direction = 'out' AND (state IN ('queued', 'failed') OR (acks = 1 AND state = 'sent'))";
const AWAITING = "direction = 'out' AND state IN ('queued', 'sent') AND acks = 1";

const INSERT = `INSERT OR IGNORE INTO messages
  (id, direction, peer_address, peer_key, fingerprint, verified, name, text, ts, protocol, acks, state, error,
   created_at, updated_at, queued_at)
  VALUES (@id, @direction, @peer_address, @peer_key, @fingerprint, @verified, @name, @text, @ts, @protocol, @acks,
   @state, NULL, @now, @now, @now)`;

/** Network input must never abort a whole batch on a constraint, so coerce the fields. */
function params(msg: ChatMessage, direction: Direction, peerKey: string, acks: boolean, now: number) {
  return {
    id: String(msg.id),
    direction,
    peer_address: String(msg.from),
    peer_key: peerKey,
    fingerprint: typeof msg.fingerprint === 'string' ? msg.fingerprint : null,
    verified: msg.verified === true ? 1 : 0,
    name: typeof msg.name === 'string' ? msg.name : null,
    text: String(msg.text),
    ts: Number.isFinite(msg.ts) ? Math.trunc(msg.ts) : now,
    protocol: msg.protocol === 'native' ? 'native' : 'classic',
    acks: acks ? 1 : 0,
    state: direction === 'in' ? 'acked' : 'queued',
    now,
  };
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export class Store {
  readonly path: string;
  readonly readonly: boolean;
  private readonly db: Database.Database;
  private readonly writer: GroupCommit;
  private readonly statements = new Map<string, Database.Statement>();
  private readonly maxPerPeer: number;
  private readonly maxTotal: number;
  private readonly expireMs: number;
  private readonly retention: { days: number | null; maxMessages: number | null };
  /** Committed rows awaiting an ack, per peer key (kept beside the db so limits cost no query). */
  private committed = new Map<string, number>();
  /** Enqueues accepted but not yet run in a transaction. */
  private readonly reserved = new Map<string, number>();
  private retentionTimer: NodeJS.Timeout | null = null;
  private closed = false;

  private constructor(
    private readonly opened: OpenedDb,
    opts: StoreOptions,
  ) {
    this.db = opened.db;
    this.path = opened.path;
    this.readonly = opts.readonly === true;
    this.maxPerPeer = opts.outbox?.maxPerPeer ?? DEFAULT_MAX_PER_PEER;
    this.maxTotal = opts.outbox?.maxTotal ?? DEFAULT_MAX_TOTAL;
    this.expireMs = opts.outbox?.expireMs ?? DEFAULT_EXPIRE_MS;
    this.retention = {
      days: opts.retention?.days ?? null,
      maxMessages:
        opts.retention?.maxMessages === undefined ? DEFAULT_MAX_MESSAGES : opts.retention.maxMessages,
    };
    this.writer = new GroupCommit(
      this.db,
      (err) => this.mapError(err),
      () => this.recount(),
    );
  }

  /**
   * Open `<dataDir>/peerchat.db` (created if missing), take the data-directory lock and migrate.
   * Throws ERR_STORE_LOCKED, ERR_STORE_CORRUPT or ERR_STORE_VERSION.
   */
  static open(opts: StoreOptions): Store {
    const opened = opts.readonly ? openReader(opts.dataDir) : openWriter(opts.dataDir);
    const store = new Store(opened, opts);
    if (store.readonly) return store;
    try {
      store.recoverInterrupted();
      store.recount();
      store.retain(Date.now());
    } catch (err) {
      opened.close();
      throw store.mapError(err);
    }
    store.retentionTimer = setInterval(() => {
      store.applyRetention().catch(() => {}); // a failed run is retried next interval
    }, RETENTION_INTERVAL_MS);
    store.retentionTimer.unref();
    return store;
  }

  /** Transactions and writes committed by group commit so far. */
  get stats(): Readonly<GroupCommitStats> {
    return this.writer.stats;
  }

  // ---- incoming ----

  /**
   * Store an incoming message before acking it. Resolves false when this id from this peer is already
   * stored (a resend after a lost ack): ack it again, do not show it again.
   */
  recordIncoming(msg: ChatMessage): Promise<boolean> {
    return this.write(() => {
      const now = Date.now();
      const key = msg.key ?? UNVERIFIED;
      const p = params(msg, 'in', key, false, now);
      if (this.stmt(INSERT).run(p).changes === 1) return true;
      const existing = this.getRow(p.id);
      if (existing && existing.direction === 'in' && existing.peer_key === key) return false;
      // the id clashes with another peer's or our own message: keep this one under a local id
      this.stmt(INSERT).run({ ...p, id: newId() });
      return true;
    });
  }

  // ---- outgoing ----

  /**
   * Store an outgoing message as queued, before it is written to a session. With a peerKey (native)
   * it counts against the outbox limits (ERR_OUTBOX_FULL) and is resent by queuedFor until acked;
   * without one (classic) it is never resent.
   */
  enqueue(msg: ChatMessage, peerKey: string | null): Promise<void> {
    if (peerKey !== null) {
      try {
        this.checkLimits(peerKey);
      } catch (err) {
        return Promise.reject(err);
      }
    }
    const reservedKey = peerKey;
    if (reservedKey !== null && !this.closed && !this.readonly) this.bump(this.reserved, reservedKey, 1);
    return this.write(() => {
      if (reservedKey !== null) this.bump(this.reserved, reservedKey, -1);
      const now = Date.now();
      const p = params(msg, 'out', peerKey ?? UNVERIFIED, peerKey !== null, now);
      if (this.stmt(INSERT).run(p).changes === 0) {
        throw new PeerchatError('ERR_USAGE', `a message with id ${p.id} is already stored`);
      }
      if (reservedKey !== null) this.bump(this.committed, reservedKey, 1);
    });
  }

  /** Written to a session. Native rows stay resendable until acked. Resolves false if nothing changed. */
  markSent(id: string): Promise<boolean> {
    return this.write(() => this.transition(id, 'sent', ['queued'], null));
  }

  /** The peer acknowledged it: delivered. */
  markAcked(id: string): Promise<boolean> {
    return this.write(() => this.transition(id, 'acked', ['queued', 'sent', 'failed'], null));
  }

  markFailed(id: string, reason: string): Promise<boolean> {
    return this.write(() => this.transition(id, 'failed', ['queued', 'sent'], reason));
  }

  /** Native messages to this key not acked yet, oldest first: resend them, same id, on a new session. */
  queuedFor(peerKey: string): StoredMessage[] {
    this.assertOpen();
    const rows = this.stmt(`SELECT * FROM messages WHERE ${AWAITING} AND peer_key = ? ORDER BY seq`).all(
      peerKey,
    ) as Row[];
    return rows.map(toMessage);
  }

  /** Mark messages queued longer than expireMs as failed and return them (emit an event for each). */
  expire(now: number = Date.now()): StoredMessage[] {
    this.assertWritable();
    this.writer.flushSync(); // an ack still in the queue must win over expiry
    const cutoff = now - this.expireMs;
    const reason = `expired: not delivered within ${Math.round(this.expireMs / 1000)} s`;
    return this.db.transaction(() => {
      const rows = this.stmt(
        "SELECT * FROM messages WHERE direction = 'out' AND state IN ('queued', 'sent') AND queued_at < ? " +
          "AND (acks = 1 OR state = 'queued') ORDER BY seq",
      ).all(cutoff) as Row[];
      for (const r of rows) this.transition(r.id, 'failed', ['queued', 'sent'], reason, now);
      return rows.map((r) => ({ ...toMessage(r), state: 'failed' as const, error: reason, updatedAt: now }));
    })();
  }

  /** Undelivered and failed outgoing messages, oldest first. */
  outbox(): StoredMessage[] {
    this.assertOpen();
    return (this.stmt(`SELECT * FROM messages WHERE ${IN_OUTBOX} ORDER BY seq`).all() as Row[]).map(
      toMessage,
    );
  }

  /**
   * Queue a failed message again (fresh expiry). Resolves the row: a native one is resent by queuedFor,
   * a classic one must be sent by the caller now. ERR_USAGE if it is not a failed outgoing message.
   */
  retry(id: string): Promise<StoredMessage> {
    return this.write(() => {
      const r = this.getRow(id);
      if (r?.direction !== 'out' || r.state !== 'failed') {
        throw new PeerchatError('ERR_USAGE', `no failed outgoing message with id ${id}`);
      }
      if (r.acks === 1) this.checkLimits(r.peer_key);
      const now = Date.now();
      this.transition(id, 'queued', ['failed'], null, now);
      this.stmt('UPDATE messages SET queued_at = ? WHERE id = ?').run(now, id);
      return { ...toMessage(r), state: 'queued' as const, error: null, updatedAt: now };
    });
  }

  /** Remove a message from the outbox (and history) so it is never resent. Resolves false if not in the outbox. */
  drop(id: string): Promise<boolean> {
    return this.write(() => {
      const r = this.stmt(`SELECT * FROM messages WHERE id = ? AND ${IN_OUTBOX}`).get(id) as Row | undefined;
      if (!r) return false;
      this.stmt('DELETE FROM messages WHERE id = ?').run(id);
      if (awaitsAck(r)) this.bump(this.committed, r.peer_key, -1);
      return true;
    });
  }

  // ---- reading ----

  get(id: string): StoredMessage | null {
    this.assertOpen();
    const r = this.getRow(id);
    return r ? toMessage(r) : null;
  }

  /** The newest `limit` matching messages, oldest first. */
  history(opts: HistoryOptions = {}): StoredMessage[] {
    this.assertOpen();
    const where: string[] = [];
    const args: Record<string, string | number> = {};
    if (opts.peer !== undefined) {
      where.push('(peer_address = @peer OR peer_key = @peer)');
      args.peer = opts.peer;
    }
    if (typeof opts.before === 'string') {
      where.push('seq < coalesce((SELECT seq FROM messages WHERE id = @before), -1)');
      args.before = opts.before;
    } else if (typeof opts.before === 'number') {
      where.push('created_at < @before');
      args.before = opts.before;
    }
    if (opts.search) {
      where.push("text LIKE @search ESCAPE '\\'");
      args.search = `%${escapeLike(opts.search)}%`;
    }
    const limit = opts.limit ?? DEFAULT_HISTORY_LIMIT;
    args.limit = Number.isFinite(limit) ? Math.max(0, Math.trunc(limit)) : -1;
    const sql =
      `SELECT * FROM messages ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ` +
      'ORDER BY seq DESC LIMIT @limit';
    return (this.stmt(sql).all(args) as Row[]).reverse().map(toMessage);
  }

  peers(): SeenPeer[] {
    this.assertOpen();
    const rows = this.stmt('SELECT * FROM peers ORDER BY last_seen DESC').all() as {
      address: string;
      key: string;
      name: string | null;
      first_seen: number;
      last_seen: number;
    }[];
    return rows.map((r) => ({
      address: r.address,
      key: r.key === UNVERIFIED ? null : r.key,
      name: r.name,
      firstSeen: r.first_seen,
      lastSeen: r.last_seen,
    }));
  }

  // ---- peers, pending ----

  seenPeer(info: SeenPeerInput): Promise<void> {
    return this.write(() => {
      const at = info.at ?? Date.now();
      this.stmt(
        `INSERT INTO peers (address, key, name, first_seen, last_seen) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (address, key) DO UPDATE SET name = coalesce(excluded.name, name),
           last_seen = max(last_seen, excluded.last_seen)`,
      ).run(info.address, info.key ?? UNVERIFIED, info.name ?? null, at, at);
    });
  }

  /** Hold a stored message for the user (chat mode). Record the message first. */
  addPending(id: string): Promise<void> {
    return this.write(() => {
      this.stmt('INSERT OR IGNORE INTO pending (message_id) VALUES (?)').run(id);
    });
  }

  /** The held messages, in arrival order; clears the queue. */
  takePending(): StoredMessage[] {
    this.assertWritable();
    this.writer.flushSync(); // include addPending calls still queued
    return this.db.transaction(() => {
      const rows = this.stmt(
        'SELECT m.* FROM pending p JOIN messages m ON m.id = p.message_id ORDER BY p.seq',
      ).all() as Row[];
      this.stmt('DELETE FROM pending').run();
      return rows.map(toMessage);
    })();
  }

  // ---- retention, export, close ----

  /** Delete history beyond the retention limits; outbox and pending rows are kept. Resolves the count. */
  applyRetention(now: number = Date.now()): Promise<number> {
    return this.write(() => this.retain(now));
  }

  /** Write every message (oldest first) to `out` without ending it. Resolves the number written. */
  async export(format: ExportFormat, out: Writable, opts: { peer?: string } = {}): Promise<number> {
    this.assertOpen();
    if (format !== 'jsonl' && format !== 'csv') {
      throw new PeerchatError('ERR_USAGE', `unknown export format "${String(format)}" (jsonl or csv)`);
    }
    await writeOut(out, header(format));
    let last = 0;
    let count = 0;
    const peer = opts.peer === undefined ? '' : 'AND (peer_address = @peer OR peer_key = @peer)';
    const page = this.stmt(
      `SELECT * FROM messages WHERE seq > @last ${peer} ORDER BY seq LIMIT ${EXPORT_PAGE}`,
    );
    for (;;) {
      this.assertOpen();
      const rows = page.all(opts.peer === undefined ? { last } : { last, peer: opts.peer }) as Row[];
      if (rows.length === 0) return count;
      await writeOut(out, rows.map((r) => formatRow(format, toMessage(r))).join(''));
      count += rows.length;
      last = rows[rows.length - 1]!.seq;
    }
  }

  /** Commit every queued write, then close the file and release the lock. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    try {
      this.writer.close();
    } finally {
      this.opened.close();
    }
  }

  // ---- internals ----

  private write<T>(run: () => T): Promise<T> {
    try {
      this.assertWritable();
    } catch (err) {
      return Promise.reject(err);
    }
    return this.writer.write(run);
  }

  private assertOpen(): void {
    if (this.closed) throw new PeerchatError('ERR_CLOSED', `the store ${this.path} is closed`);
  }

  private assertWritable(): void {
    this.assertOpen();
    if (this.readonly)
      throw new PeerchatError('ERR_STORE_READONLY', `the store ${this.path} was opened read-only`);
  }

  private stmt(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  private getRow(id: string): Row | undefined {
    return this.stmt('SELECT * FROM messages WHERE id = ?').get(id) as Row | undefined;
  }

  /** Move an outgoing row between states, keeping the outbox counters exact. */
  private transition(
    id: string,
    to: MessageState,
    from: MessageState[],
    error: string | null,
    now: number = Date.now(),
  ): boolean {
    const r = this.getRow(id);
    if (r?.direction !== 'out' || !from.includes(r.state)) return false;
    this.stmt('UPDATE messages SET state = ?, error = ?, updated_at = ? WHERE seq = ?').run(
      to,
      error,
      now,
      r.seq,
    );
    const delta = Number(awaitsAck({ acks: r.acks, state: to })) - Number(awaitsAck(r));
    if (delta !== 0) this.bump(this.committed, r.peer_key, delta);
    return true;
  }

  private count(key?: string): number {
    const sum = (m: Map<string, number>) => {
      if (key !== undefined) return m.get(key) ?? 0;
      let n = 0;
      for (const v of m.values()) n += v;
      return n;
    };
    return sum(this.committed) + sum(this.reserved);
  }

  private checkLimits(peerKey: string): void {
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

  private bump(map: Map<string, number>, key: string, delta: number): void {
    const n = (map.get(key) ?? 0) + delta;
    if (n <= 0) map.delete(key);
    else map.set(key, n);
  }

  /** Rebuild the committed counters from the file (at open, and after a rolled-back batch). */
  private recount(): void {
    const rows = this.stmt(
      `SELECT peer_key, count(*) AS n FROM messages WHERE ${AWAITING} GROUP BY peer_key`,
    ).all() as {
      peer_key: string;
      n: number;
    }[];
    this.committed = new Map(rows.map((r) => [r.peer_key, r.n]));
  }

  /** A classic row still queued at open was interrupted between enqueue and write: fail it, never resend. */
  private recoverInterrupted(): void {
    this.stmt(
      "UPDATE messages SET state = 'failed', error = ?, updated_at = ? WHERE direction = 'out' AND state = 'queued' AND acks = 0",
    ).run(INTERRUPTED, Date.now());
  }

  private retain(now: number): number {
    const keep = `NOT (${IN_OUTBOX}) AND id NOT IN (SELECT message_id FROM pending)`;
    let deleted = 0;
    const { days, maxMessages } = this.retention;
    if (days !== null && days >= 0) {
      deleted += this.stmt(`DELETE FROM messages WHERE created_at < ? AND ${keep}`).run(
        now - days * DAY_MS,
      ).changes;
    }
    if (maxMessages !== null && maxMessages >= 0) {
      const nth = this.stmt('SELECT seq FROM messages ORDER BY seq DESC LIMIT 1 OFFSET ?').get(maxMessages) as
        | { seq: number }
        | undefined;
      if (nth) deleted += this.stmt(`DELETE FROM messages WHERE seq <= ? AND ${keep}`).run(nth.seq).changes;
    }
    return deleted;
  }

  private mapError(err: unknown): Error {
    if (err instanceof PeerchatError) return err;
    if (isCorruption(err)) return corruptError(this.path, err);
    return new PeerchatError(
      'ERR_STORE_WRITE',
      `cannot write ${this.path}: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
}

function writeOut(out: Writable, chunk: string): Promise<void> {
  if (chunk === '') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    out.once('error', onError);
    const ok = out.write(chunk, () => {});
    const done = () => {
      out.off('error', onError);
      resolve();
    };
    if (ok) done();
    else out.once('drain', done);
  });
}
