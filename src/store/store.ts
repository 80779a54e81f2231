/**
 * The message store: history, the durable outbox, peers seen and the chat-mode pending queue, in one
 * SQLite file. Writes run on a worker thread that owns the write connection (natural group commit)
 * and resolve after their COMMIT; reads are synchronous, on a read-only connection of this thread.
 */
import { EventEmitter } from 'node:events';
import type { Writable } from 'node:stream';
import type Database from 'better-sqlite3';
import { PeerchatError } from '../errors.js';
import type { ChatMessage, Via } from '../types.js';
import { type Contact, readContacts } from './contacts.js';
import {
  BUSY_TIMEOUT_MS,
  corruptError,
  isCorruption,
  JOURNAL_SIZE_LIMIT,
  type OpenedDb,
  openReader,
  openSideReader,
  openWriter,
} from './db.js';
import { type ExportFormat, formatRow, header } from './export.js';
import { IdFilter } from './id-filter.js';
import { newId } from './ids.js';
import { type Deltas, type Op, Ops, type RetentionLimits } from './ops.js';
import {
  AWAITING,
  IN_OUTBOX,
  type MessageState,
  type Row,
  type StoredMessage,
  toMessage,
  UNVERIFIED,
} from './rows.js';
import { Writer, type WriterStats } from './writer.js';

export type { ExportFormat, MessageState, StoredMessage, WriterStats };
export { newId, UNVERIFIED };

export const DEFAULT_MAX_PER_PEER = 1000; // native messages awaiting an ack, per peer key
export const DEFAULT_MAX_TOTAL = 10_000; // native messages awaiting an ack, all peers
export const DEFAULT_EXPIRE_MS = 7 * 24 * 60 * 60 * 1000; // an undelivered message fails after a week
export const DEFAULT_MAX_MESSAGES = 100_000; // history rows kept (outbox and pending rows always kept)
export const DEFAULT_MAX_BYTES = 256 * 1024 * 1024; // used database pages; the oldest history goes first
export const DEFAULT_MAX_PENDING = 10_000; // chat-mode held messages; past it the oldest is released
/** Retention also runs after this many inserted rows, so a flood cannot outgrow the hourly run. */
export const RETAIN_EVERY_ROWS = 1000;
const DEFAULT_HISTORY_LIMIT = 100;
const RETENTION_INTERVAL_MS = 60 * 60 * 1000;
const EXPORT_PAGE = 500; // rows read per query while exporting (writes may run between pages)
const INTERRUPTED =
  'the peer stopped before this classic message was confirmed written; classic messages are never resent';

export interface RetentionOptions {
  /** Delete history older than this many days (local storage time). @default null (no age limit) */
  days?: number | null;
  /** Keep at most this many history rows, deleting the oldest. @default 100000 */
  maxMessages?: number | null;
  /**
   * Keep the database's used pages under this many bytes, deleting the oldest history; freed pages
   * go back to the file system (auto_vacuum=INCREMENTAL). @default 268435456 (256 MiB)
   */
  maxBytes?: number | null;
  /** Chat-mode held messages; past it the oldest is released (it stays in the history). @default 10000 */
  maxPending?: number;
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
  /** How the session came: kept as the contact's "met" on first sight. @default 'tcp' */
  via?: Via;
  /** @default Date.now() */
  at?: number;
}

export interface StoreEvents {
  /** The writer cannot go on (its thread died, the file became unusable): writes now reject with `err`. */
  fatal: [err: PeerchatError];
  /** A background run (retention, an expiry write) failed; the store keeps going. */
  warning: [err: PeerchatError];
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** The fields of a message as plain data (a plugin's transform may hand over anything). */
function plainMessage(msg: ChatMessage): ChatMessage {
  return {
    id: String(msg.id),
    from: String(msg.from),
    name: typeof msg.name === 'string' ? msg.name : null,
    text: String(msg.text),
    protocol: msg.protocol === 'native' ? 'native' : 'classic',
    verified: msg.verified === true,
    key: typeof msg.key === 'string' ? msg.key : null,
    fingerprint: typeof msg.fingerprint === 'string' ? msg.fingerprint : null,
    ts: typeof msg.ts === 'number' ? msg.ts : Number.NaN,
    direction: msg.direction === 'out' ? 'out' : 'in',
  };
}

export class Store extends EventEmitter<StoreEvents> {
  readonly path: string;
  readonly readonly: boolean;
  /** Read-only connection on this thread; the writer worker owns the write connection. */
  private readonly db: Database.Database;
  private readonly writer: Writer | null;
  private readonly statements = new Map<string, Database.Statement>();
  private readonly maxPerPeer: number;
  private readonly maxTotal: number;
  private readonly expireMs: number;
  private readonly maxPending: number;
  /** Committed rows awaiting an ack, per peer key (kept beside the db so limits cost no query). */
  private committed = new Map<string, number>();
  /** Enqueues accepted but not committed yet. */
  private readonly reserved = new Map<string, number>();
  /** Acks received whose `acked` is not committed yet: no longer awaiting an ack, so not counted. */
  private readonly releasing = new Map<string, number>();
  /** Outgoing ids with a write in flight: expire() leaves them to that write. */
  private readonly busy = new Map<string, number>();
  /** Enqueues not committed yet, with the time they were queued (expire() sees them too). */
  private readonly enqueuing = new Map<string, { msg: StoredMessage; at: number }>();
  /** Ids being expired (written failed, not committed yet): reads show them failed already. */
  private readonly expiring = new Map<string, string>();
  /** addPending calls not committed yet, in order. */
  private readonly pendingIds: string[] = [];
  /** Pending rows taken whose deletion is not committed yet. */
  private readonly taken = new Set<number>();
  /** Every id stored (writer stores only): lets get() answer "never stored" without a query. */
  private ids: IdFilter | null = null;
  private retentionTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private closing: Promise<void> | null = null;

  private constructor(
    private readonly opened: OpenedDb,
    db: Database.Database,
    writer: Writer | null,
    opts: StoreOptions,
  ) {
    super();
    this.db = db;
    this.writer = writer;
    this.path = opened.path;
    this.readonly = opts.readonly === true;
    this.maxPerPeer = opts.outbox?.maxPerPeer ?? DEFAULT_MAX_PER_PEER;
    this.maxTotal = opts.outbox?.maxTotal ?? DEFAULT_MAX_TOTAL;
    this.expireMs = opts.outbox?.expireMs ?? DEFAULT_EXPIRE_MS;
    this.maxPending = opts.retention?.maxPending ?? DEFAULT_MAX_PENDING;
  }

  /**
   * Open `<dataDir>/peerchat.db` (created 0600 if missing), take the data-directory lock, migrate,
   * and start the writer thread. Throws ERR_STORE_LOCKED, ERR_STORE_CORRUPT or ERR_STORE_VERSION.
   */
  static open(opts: StoreOptions): Store {
    if (opts.readonly) {
      const opened = openReader(opts.dataDir);
      return new Store(opened, opened.db, null, opts);
    }
    const retention = limits(opts.retention);
    const opened = openWriter(opts.dataDir);
    let reader: Database.Database | undefined;
    let store: Store;
    try {
      // start-up work on the setup connection, before the worker takes over writing
      recoverInterrupted(opened.db);
      opened.db.transaction(() => new Ops(opened.db, retention).retain(Date.now()))();
      reader = openSideReader(opened.path);
      opened.closeDb();
      const events = {
        fatal: (err: PeerchatError) => store.emit('fatal', err),
        warning: (err: PeerchatError) => store.emit('warning', err),
      };
      const writer = new Writer(
        opened.path,
        {
          retention,
          busyTimeoutMs: BUSY_TIMEOUT_MS,
          journalSizeLimit: JOURNAL_SIZE_LIMIT,
          retainEveryRows: RETAIN_EVERY_ROWS,
          commitPauseMs: Number(process.env.PEERCHAT_TEST_COMMIT_PAUSE_MS ?? 0) || 0,
        },
        events,
      );
      store = new Store(opened, reader, writer, opts);
      store.recount();
      store.rebuildIds();
    } catch (err) {
      reader?.close();
      opened.close();
      if (err instanceof PeerchatError) throw err;
      throw isCorruption(err)
        ? corruptError(opened.path, err)
        : storeError('ERR_STORE_WRITE', opened.path, err);
    }
    store.retentionTimer = setInterval(() => {
      store.applyRetention().catch((err) => store.emit('warning', err)); // retried next interval
    }, RETENTION_INTERVAL_MS);
    store.retentionTimer.unref();
    return store;
  }

  /** Transactions, writes and the largest batch committed by the writer so far. */
  get stats(): Readonly<WriterStats> {
    return this.writer?.stats ?? { transactions: 0, writes: 0, maxBatch: 0, retained: 0 };
  }

  // ---- incoming ----

  /**
   * Store an incoming message before acking it. Resolves false when this sender's key already sent
   * a message with this id (a resend after a lost ack): ack it again, do not show it again.
   * Messages are unique per (sender key, id): another peer's message with the same id is kept.
   */
  recordIncoming(msg: ChatMessage): Promise<boolean> {
    const m = plainMessage(msg);
    return (this.write({ t: 'incoming', msg: m }) as Promise<boolean>).then((stored) => {
      if (stored) this.remember(m.id);
      return stored;
    });
  }

  /** True once a message with this id from this sender key (null: classic) is committed. */
  hasIncoming(key: string | null, id: string): boolean {
    if (this.ids && !this.closed && !this.ids.mayHave(String(id))) return false;
    return this.read(
      () =>
        this.stmt("SELECT 1 FROM messages WHERE id = ? AND direction = 'in' AND peer_key = ?").get(
          String(id),
          key ?? UNVERIFIED,
        ) !== undefined,
    );
  }

  // ---- outgoing ----

  /**
   * Store an outgoing message as queued, before it is written to a session. With a peerKey (native)
   * it counts against the outbox limits (ERR_OUTBOX_FULL) and is resent by queuedFor until acked;
   * without one (classic) it is never resent.
   */
  enqueue(msg: ChatMessage, peerKey: string | null): Promise<void> {
    try {
      this.assertWritable();
      if (peerKey !== null) this.checkLimits(peerKey);
    } catch (err) {
      return Promise.reject(err);
    }
    if (peerKey !== null) this.bump(this.reserved, peerKey, 1);
    const m = plainMessage(msg);
    const at = Date.now();
    const row: StoredMessage = {
      ...m,
      direction: 'out',
      key: peerKey,
      state: 'queued',
      error: null,
      createdAt: at,
      updatedAt: at,
    };
    this.enqueuing.set(m.id, { msg: row, at });
    return this.track(m.id, this.write({ t: 'enqueue', msg: m, key: peerKey }))
      .then(() => this.remember(m.id))
      .finally(() => {
        this.enqueuing.delete(m.id);
        if (peerKey !== null) this.bump(this.reserved, peerKey, -1);
      });
  }

  /** Whether one more native message to this key fits the outbox limits (what enqueue checks). */
  hasRoom(peerKey: string): boolean {
    return this.count(peerKey) < this.maxPerPeer && this.count() < this.maxTotal;
  }

  /** Written to a session. Native rows stay resendable until acked. Resolves false if nothing changed. */
  markSent(id: string): Promise<boolean> {
    return this.transition(id, 'sent', ['queued'], null);
  }

  /**
   * The peer acknowledged it: delivered. With its peer key, it stops counting against the outbox
   * limits at once, not only after the commit (the next sends' enqueues share that commit).
   */
  markAcked(id: string, peerKey?: string | null): Promise<boolean> {
    const p = this.transition(id, 'acked', ['queued', 'sent', 'failed'], null);
    if (!peerKey || this.readonly || this.closed) return p;
    this.bump(this.releasing, peerKey, 1);
    return p.finally(() => this.bump(this.releasing, peerKey, -1));
  }

  markFailed(id: string, reason: string): Promise<boolean> {
    return this.transition(id, 'failed', ['queued', 'sent'], reason);
  }

  /** Native messages to this key not acked yet, oldest first: resend them, same id, on a new session. */
  queuedFor(peerKey: string): StoredMessage[] {
    const rows = this.read(
      () =>
        this.stmt(`SELECT * FROM messages WHERE ${AWAITING} AND peer_key = ? ORDER BY seq`).all(
          peerKey,
        ) as Row[],
    );
    return rows.filter((r) => !this.expiring.has(r.id)).map(toMessage);
  }

  /**
   * Mark messages queued longer than expireMs as failed and return them (emit an event for each).
   * A message with a write in flight (its ack, say) is left to that write.
   */
  expire(now: number = Date.now()): StoredMessage[] {
    this.assertWritable();
    const cutoff = now - this.expireMs;
    const reason = `expired: not delivered within ${Math.round(this.expireMs / 1000)} s`;
    const rows = this.read(
      () =>
        this.stmt(
          "SELECT * FROM messages WHERE direction = 'out' AND state IN ('queued', 'sent') AND queued_at < ? " +
            "AND (acks = 1 OR state = 'queued') ORDER BY seq",
        ).all(cutoff) as Row[],
    ).filter((r) => !this.busy.has(r.id) && !this.expiring.has(r.id));
    // enqueues still committing: the expiry op runs after them (one queue), so it finds their rows
    const young = [...this.enqueuing.values()].filter(
      (e) => e.at < cutoff && (this.busy.get(e.msg.id) ?? 0) <= 1 && !this.expiring.has(e.msg.id),
    );
    if (rows.length === 0 && young.length === 0) return [];
    const ids = [...rows.map((r) => r.id), ...young.map((e) => e.msg.id)];
    for (const id of ids) this.expiring.set(id, reason);
    this.write({ t: 'expire', ids, reason, now })
      .catch((err) => this.emit('warning', err))
      .finally(() => {
        for (const id of ids) this.expiring.delete(id);
      });
    return [...rows.map(toMessage), ...young.map((e) => e.msg)].map((m) => ({
      ...m,
      state: 'failed' as const,
      error: reason,
      updatedAt: now,
    }));
  }

  /** Undelivered and failed outgoing messages, oldest first. */
  outbox(): StoredMessage[] {
    const rows = this.read(
      () => this.stmt(`SELECT * FROM messages WHERE ${IN_OUTBOX} ORDER BY seq`).all() as Row[],
    );
    return rows.map((r) => this.overlaid(toMessage(r)));
  }

  /**
   * Queue a failed message again (fresh expiry). Resolves the row: a native one is resent by queuedFor,
   * a classic one must be sent by the caller now. ERR_USAGE if it is not a failed outgoing message.
   */
  retry(id: string): Promise<StoredMessage> {
    try {
      this.assertWritable();
      const r = this.outRow(id);
      if (r?.acks === 1 && r.state === 'failed') this.checkLimits(r.peer_key);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.track(id, this.write({ t: 'retry', id: String(id) })) as Promise<StoredMessage>;
  }

  /** Remove a message from the outbox (and history) so it is never resent. Resolves false if not in the outbox. */
  drop(id: string): Promise<boolean> {
    return this.track(id, this.write({ t: 'drop', id: String(id) })) as Promise<boolean>;
  }

  // ---- reading ----

  /** The committed row with this id (the oldest, if several peers used the id). */
  get(id: string): StoredMessage | null {
    // most lookups (the receive path's de-dup check) miss: answer those from the filter, or the index
    if (this.ids && !this.closed && !this.ids.mayHave(String(id))) return null;
    const r = this.read(() => {
      const hit = this.stmt('SELECT min(seq) AS seq FROM messages WHERE id = ?').get(String(id)) as {
        seq: number | null;
      };
      return hit.seq === null
        ? undefined
        : (this.stmt('SELECT * FROM messages WHERE seq = ?').get(hit.seq) as Row | undefined);
    });
    return r ? this.overlaid(toMessage(r)) : null;
  }

  /** The newest `limit` matching messages, oldest first. */
  history(opts: HistoryOptions = {}): StoredMessage[] {
    const where: string[] = [];
    const args: Record<string, string | number> = {};
    if (opts.peer !== undefined) {
      where.push('(peer_address = @peer OR peer_key = @peer)');
      args.peer = opts.peer;
    }
    if (typeof opts.before === 'string') {
      where.push('seq < coalesce((SELECT min(seq) FROM messages WHERE id = @before), -1)');
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
    return this.read(() => this.stmt(sql).all(args) as Row[])
      .reverse()
      .map((r) => this.overlaid(toMessage(r)));
  }

  peers(): SeenPeer[] {
    const rows = this.read(
      () =>
        this.stmt('SELECT * FROM peers ORDER BY last_seen DESC').all() as {
          address: string;
          key: string;
          name: string | null;
          first_seen: number;
          last_seen: number;
        }[],
    );
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
    return this.write({
      t: 'seen',
      address: String(info.address),
      key: typeof info.key === 'string' ? info.key : UNVERIFIED,
      name: typeof info.name === 'string' ? info.name : null,
      at: info.at ?? Date.now(),
      via: info.via ?? 'tcp',
    }).then(() => undefined);
  }

  /** The contact book (src/store/contacts.ts), the most recently seen first. */
  contacts(): Contact[] {
    return this.read(() => readContacts(this.db));
  }

  /** Hold a stored incoming message for the user (chat mode). Record the message first. */
  addPending(id: string): Promise<void> {
    const key = String(id);
    const p = this.write({ t: 'pend', id: key, max: this.maxPending });
    if (!this.readonly && !this.closed) this.pendingIds.push(key);
    return p
      .finally(() => {
        const i = this.pendingIds.indexOf(key);
        if (i >= 0) this.pendingIds.splice(i, 1);
      })
      .then(() => undefined);
  }

  /** The held messages (at most retention.maxPending), in arrival order; clears the queue. */
  takePending(): StoredMessage[] {
    this.assertWritable();
    const rows = this.read(
      () =>
        this.stmt(
          'SELECT p.seq AS pseq, m.* FROM pending p JOIN messages m ON m.seq = p.message_seq ORDER BY p.seq',
        ).all() as Array<Row & { pseq: number }>,
    ).filter((r) => !this.taken.has(r.pseq));
    const seqs = rows.map((r) => r.pseq);
    const out = rows.map(toMessage);
    // held while their commit is still in flight: the message rows themselves are committed
    const ids = this.pendingIds.splice(0);
    for (const id of ids) {
      const r = this.read(
        () =>
          this.stmt(
            "SELECT * FROM messages WHERE seq = (SELECT max(seq) FROM messages WHERE id = ? AND direction = 'in')",
          ).get(id) as Row | undefined,
      );
      if (r && !rows.some((x) => x.seq === r.seq)) out.push(toMessage(r));
    }
    if (seqs.length > 0 || ids.length > 0) {
      for (const seq of seqs) this.taken.add(seq);
      this.write({ t: 'unpend', seqs, ids })
        .catch((err) => this.emit('warning', err))
        .finally(() => {
          for (const seq of seqs) this.taken.delete(seq);
        });
    }
    return out.slice(-this.maxPending);
  }

  // ---- retention, export, close ----

  /** Delete history beyond the retention limits; outbox and pending rows are kept. Resolves the count. */
  applyRetention(now: number = Date.now()): Promise<number> {
    return this.write({ t: 'retain', now }) as Promise<number>;
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
    const sql = `SELECT * FROM messages WHERE seq > @last ${peer} ORDER BY seq LIMIT ${EXPORT_PAGE}`;
    for (;;) {
      const rows = this.read(
        () => this.stmt(sql).all(opts.peer === undefined ? { last } : { last, peer: opts.peer }) as Row[],
      );
      if (rows.length === 0) return count;
      await writeOut(out, rows.map((r) => formatRow(format, toMessage(r))).join(''));
      count += rows.length;
      last = rows[rows.length - 1]!.seq;
    }
  }

  /** Commit every queued write, stop the writer thread, then close the file and release the lock. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      if (this.retentionTimer) clearInterval(this.retentionTimer);
      // the reader first: the writer then closes the last connection, which checkpoints the WAL
      // and truncates the file to its vacuumed size
      if (this.db.open) this.db.close();
      try {
        await this.writer?.close();
      } finally {
        this.opened.close();
      }
    })();
    return this.closing;
  }

  // ---- internals ----

  private write(op: Op): Promise<unknown> {
    try {
      this.assertWritable();
    } catch (err) {
      return Promise.reject(err);
    }
    return this.writer!.run(op).then((r) => {
      this.apply(r.deltas);
      return r.value;
    });
  }

  private transition(
    id: string,
    to: MessageState,
    from: MessageState[],
    error: string | null,
  ): Promise<boolean> {
    const op: Op = {
      t: 'transition',
      id: String(id),
      to,
      from,
      error: error === null ? null : String(error),
    };
    return this.track(String(id), this.write(op)) as Promise<boolean>;
  }

  /** Mark `id` busy until `p` settles. */
  private track<T>(id: string, p: Promise<T>): Promise<T> {
    if (this.readonly || this.closed) return p;
    this.bump(this.busy, id, 1);
    return p.finally(() => this.bump(this.busy, id, -1));
  }

  private apply(deltas: Deltas): void {
    for (const [key, d] of deltas) this.bump(this.committed, key, d);
  }

  /** A row as reads should show it, with an expiry not committed yet. */
  private overlaid(m: StoredMessage): StoredMessage {
    const reason = m.direction === 'out' ? this.expiring.get(m.id) : undefined;
    return reason === undefined ? m : { ...m, state: 'failed', error: reason };
  }

  /** Run a read, turning SQLite failures into coded errors (ERR_STORE_CORRUPT / ERR_STORE_READ). */
  private read<T>(fn: () => T): T {
    this.assertOpen();
    try {
      return fn();
    } catch (err) {
      if (err instanceof PeerchatError) throw err;
      if (isCorruption(err)) throw corruptError(this.path, err);
      throw storeError('ERR_STORE_READ', this.path, err);
    }
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

  private outRow(id: string): Row | undefined {
    return this.read(
      () =>
        this.stmt(
          "SELECT * FROM messages WHERE seq = (SELECT min(seq) FROM messages WHERE id = ? AND direction = 'out')",
        ).get(String(id)) as Row | undefined,
    );
  }

  private count(key?: string): number {
    const sum = (m: Map<string, number>) => {
      if (key !== undefined) return m.get(key) ?? 0;
      let n = 0;
      for (const v of m.values()) n += v;
      return n;
    };
    return sum(this.committed) + sum(this.reserved) - sum(this.releasing);
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

  private remember(id: string): void {
    if (!this.ids) return;
    if (this.ids.full) this.rebuildIds();
    else this.ids.add(id);
  }

  /** (Re)build the id filter from the file, sized for twice the rows it holds now. */
  private rebuildIds(): void {
    if (this.readonly) return;
    const n = (this.stmt('SELECT count(*) AS n FROM messages').get() as { n: number }).n;
    const ids = new IdFilter(Math.max(65_536, 2 * n));
    for (const id of this.stmt('SELECT id FROM messages').pluck().iterate() as Iterable<string>) ids.add(id);
    this.ids = ids;
  }

  /** Build the committed counters from the file (at open). */
  private recount(): void {
    const rows = this.stmt(
      `SELECT peer_key, count(*) AS n FROM messages WHERE ${AWAITING} GROUP BY peer_key`,
    ).all() as { peer_key: string; n: number }[];
    this.committed = new Map(rows.map((r) => [r.peer_key, r.n]));
  }
}

function limits(r: RetentionOptions | undefined): RetentionLimits {
  return {
    days: r?.days ?? null,
    maxMessages: r?.maxMessages === undefined ? DEFAULT_MAX_MESSAGES : r.maxMessages,
    maxBytes: r?.maxBytes === undefined ? DEFAULT_MAX_BYTES : r.maxBytes,
  };
}

/** A classic row still queued at open was interrupted between enqueue and write: fail it, never resend. */
function recoverInterrupted(db: Database.Database): void {
  db.prepare(
    "UPDATE messages SET state = 'failed', error = ?, updated_at = ? WHERE direction = 'out' AND state = 'queued' AND acks = 0",
  ).run(INTERRUPTED, Date.now());
}

function storeError(code: 'ERR_STORE_WRITE' | 'ERR_STORE_READ', path: string, err: unknown): PeerchatError {
  const verb = code === 'ERR_STORE_READ' ? 'read' : 'write';
  return new PeerchatError(
    code,
    `cannot ${verb} ${path}: ${err instanceof Error ? err.message : String(err)}`,
    { cause: err },
  );
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
