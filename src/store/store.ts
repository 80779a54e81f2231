/**
 * The message store: history, the durable outbox, peers seen and the chat-mode pending queue, in one
 * SQLite file. Writes run on a worker thread that owns the write connection (natural group commit)
 * and resolve after their COMMIT; reads are synchronous, on a read-only connection of this thread
 * (reader.ts). Options and the history query: options.ts; its SQL: query.ts; outbox limits: counts.ts;
 * the pending table: pending.ts; export: export.ts.
 */
import { EventEmitter } from 'node:events';
import type { Writable } from 'node:stream';
import type Database from 'better-sqlite3';
import { PeerchatError } from '../errors.js';
import type { ChatMessage } from '../types.js';
import {
  type Contact,
  type NameHolder,
  readContact,
  readContacts,
  readContactsAt,
  readContactsNamed,
  readNameHolders,
} from './contacts.js';
import { OutboxCounts } from './counts.js';
import {
  BUSY_TIMEOUT_MS,
  corruptError,
  isCorruption,
  JOURNAL_SIZE_LIMIT,
  type OpenedDb,
  openReader,
  openSideReader,
  openWriter,
  storeError,
} from './db.js';
import { type ExportFormat, exportMessages } from './export.js';
import { newId } from './ids.js';
import { Incoming } from './incoming.js';
import { type Deltas, type Op, Ops } from './ops.js';
import {
  DEFAULT_EXPIRE_MS,
  DEFAULT_MAX_PENDING,
  DEFAULT_MAX_PER_PEER,
  DEFAULT_MAX_TOTAL,
  type HistoryOptions,
  RETAIN_EVERY_ROWS,
  retentionLimits,
  type SeenPeer,
  type SeenPeerInput,
  type StoreOptions,
} from './options.js';
import { Outgoing, recoverInterrupted } from './outgoing.js';
import { Pending } from './pending.js';
import { historySql } from './query.js';
import { Reader } from './reader.js';
import { AWAITING, type MessageState, type Row, type StoredMessage, toMessage, UNVERIFIED } from './rows.js';
import { Writer, type WriterStats } from './writer.js';

export type {
  HistoryOptions,
  OutboxOptions,
  RetentionOptions,
  SeenPeer,
  SeenPeerInput,
  StoreOptions,
} from './options.js';
export type { ExportFormat, MessageState, StoredMessage, WriterStats };
export { newId, UNVERIFIED };

const RETENTION_INTERVAL_MS = 60 * 60 * 1000;

export interface StoreEvents {
  /** The writer cannot go on (its thread died, the file became unusable): writes now reject with `err`. */
  fatal: [err: PeerchatError];
  /** A background run (retention, an expiry write) failed; the store keeps going. */
  warning: [err: PeerchatError];
}

export class Store extends EventEmitter<StoreEvents> {
  readonly path: string;
  readonly readonly: boolean;
  private readonly reader: Reader;
  private readonly writer: Writer | null;
  private readonly counts: OutboxCounts;
  private readonly pending: Pending;
  private readonly outgoing: Outgoing;
  private readonly incoming: Incoming;
  /** The reader's cached statements, for the contact lookups (contacts.ts). */
  private readonly prepare = (sql: string) => this.reader.stmt(sql);
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
    this.path = opened.path;
    this.reader = new Reader(db, opened.path, () => this.closed);
    this.writer = writer;
    this.readonly = opts.readonly === true;
    this.counts = new OutboxCounts(
      opts.outbox?.maxPerPeer ?? DEFAULT_MAX_PER_PEER,
      opts.outbox?.maxTotal ?? DEFAULT_MAX_TOTAL,
    );
    this.incoming = new Incoming(
      this.reader,
      (op) => this.write(op),
      () => !this.closed,
    );
    this.outgoing = new Outgoing({
      reader: this.reader,
      counts: this.counts,
      write: (op) => this.write(op),
      assertWritable: () => this.assertWritable(),
      writable: () => !this.readonly && !this.closed,
      remember: (id) => this.incoming.remember(id),
      warn: (err) => this.emit('warning', err),
      expireMs: opts.outbox?.expireMs ?? DEFAULT_EXPIRE_MS,
    });
    this.pending = new Pending({
      reader: this.reader,
      write: (op) => this.write(op),
      assertWritable: () => this.assertWritable(),
      writable: () => !this.readonly && !this.closed,
      warn: (err) => this.emit('warning', err),
      maxPending: opts.retention?.maxPending ?? DEFAULT_MAX_PENDING,
    });
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
    const retention = retentionLimits(opts.retention);
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
        deltas: (d: Deltas) => store.counts.apply(d),
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
      store.counts.reset(
        store.reader.all<{ peer_key: string; n: number }>(
          `SELECT peer_key, count(*) AS n FROM messages WHERE ${AWAITING} GROUP BY peer_key`,
        ),
      );
      store.incoming.rebuild();
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

  /** Store a room log entry with its room; resolves false when it was stored before. */
  recordRoom(msg: ChatMessage): Promise<boolean> {
    return this.incoming.record(msg, 'room');
  }

  /**
   * Store an incoming message before acking it. Resolves false when this sender's key already sent
   * a message with this id (a resend after a lost ack): ack it again, do not show it again.
   * Messages are unique per (sender key, id): another peer's message with the same id is kept.
   */
  recordIncoming(msg: ChatMessage): Promise<boolean> {
    return this.incoming.record(msg);
  }

  /** True once a message with this id from this sender key (null: classic) is committed. */
  hasIncoming(key: string | null, id: string): boolean {
    return this.incoming.has(key, id);
  }

  // ---- outgoing (outgoing.ts) ----

  /**
   * Store an outgoing message as queued, before it is written to a session. With a peerKey (native)
   * it counts against the outbox limits (ERR_OUTBOX_FULL) and is resent by queuedFor until acked;
   * without one (classic) it is never resent.
   */
  enqueue(msg: ChatMessage, peerKey: string | null): Promise<void> {
    return this.outgoing.enqueue(msg, peerKey);
  }

  /** Written to a session. Native rows stay resendable until acked. Resolves false if nothing changed. */
  markSent(id: string): Promise<boolean> {
    return this.outgoing.transition(id, 'sent', ['queued'], null);
  }

  /**
   * The peer acknowledged it: delivered. With its peer key, it stops counting against the outbox
   * limits at once, not only after the commit (the next sends' enqueues share that commit).
   */
  markAcked(id: string, peerKey?: string | null): Promise<boolean> {
    const counted = peerKey && !this.readonly && !this.closed;
    return this.outgoing.markAcked(id, counted ? this.counts.acking(peerKey) : null);
  }

  /** Whether one more native message to this key fits the outbox limits (what enqueue checks). */
  hasRoom(peerKey: string): boolean {
    return this.counts.hasRoom(peerKey);
  }

  markFailed(id: string, reason: string): Promise<boolean> {
    return this.outgoing.transition(id, 'failed', ['queued', 'sent'], reason);
  }

  /** Native messages to this key not acked yet, oldest first: resend them, same id, on a new session. */
  queuedFor(peerKey: string): StoredMessage[] {
    return this.outgoing.queuedFor(peerKey);
  }

  /**
   * Mark messages queued longer than expireMs as failed and return them (emit an event for each).
   * A message with a write in flight (its ack, say) is left to that write.
   */
  expire(now: number = Date.now()): StoredMessage[] {
    return this.outgoing.expire(now);
  }

  /** Undelivered and failed outgoing messages, oldest first. */
  outbox(): StoredMessage[] {
    return this.outgoing.list();
  }

  /**
   * Queue a failed message again (fresh expiry). Resolves the row: a native one is resent by queuedFor,
   * a classic one must be sent by the caller now. ERR_USAGE if it is not a failed outgoing message.
   */
  retry(id: string): Promise<StoredMessage> {
    return this.outgoing.retry(id);
  }

  /** Remove a message from the outbox (and history) so it is never resent. Resolves false if not in the outbox. */
  drop(id: string): Promise<boolean> {
    return this.outgoing.drop(id);
  }

  // ---- reading ----

  /** The committed row with this id (the oldest, if several peers used the id). */
  get(id: string): StoredMessage | null {
    // most lookups (the receive path's de-dup check) miss: answer those from the filter, or the index
    if (!this.incoming.mayHave(id)) return null;
    const r = this.reader.read(() => {
      const hit = this.reader.stmt('SELECT min(seq) AS seq FROM messages WHERE id = ?').get(String(id)) as {
        seq: number | null;
      };
      return hit.seq === null
        ? undefined
        : (this.reader.stmt('SELECT * FROM messages WHERE seq = ?').get(hit.seq) as Row | undefined);
    });
    return r ? this.outgoing.overlaid(toMessage(r)) : null;
  }

  /** The newest `limit` matching messages, oldest first; every filter runs in SQL. */
  history(opts: HistoryOptions = {}): StoredMessage[] {
    const { sql, args } = historySql(opts);
    return this.reader
      .all<Row>(sql, args)
      .reverse()
      .map((r) => this.outgoing.overlaid(toMessage(r)));
  }

  peers(): SeenPeer[] {
    const rows = this.reader.all<{
      address: string;
      key: string;
      name: string | null;
      first_seen: number;
      last_seen: number;
    }>('SELECT * FROM peers ORDER BY last_seen DESC');
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
    return this.reader.read(() => readContacts(this.reader.db));
  }

  /** The contacts reached at this "ip:port" (see readContactsAt). */
  contactsAt(address: string): Contact[] {
    return this.reader.read(() => readContactsAt(this.prepare, String(address)));
  }

  /** Key and addresses of the contacts that last gave this exact name (readNameHolders). */
  nameHolders(name: string): NameHolder[] {
    return this.reader.read(() => readNameHolders(this.prepare, String(name)));
  }

  /** The contacts that last gave this exact name (an index lookup, not the whole book). */
  contactsNamed(name: string): Contact[] {
    return this.reader.read(() => readContactsNamed(this.prepare, String(name)));
  }

  /** The contact with this key, or null: one row, not the whole book. */
  contact(key: string): Contact | null {
    return this.reader.read(() => readContact(this.prepare, String(key)));
  }

  /** Hold a stored incoming message for the user (chat mode). Record the message first. */
  addPending(id: string): Promise<void> {
    return this.pending.add(id);
  }

  /** The held messages (at most retention.maxPending), in arrival order; clears the queue. */
  takePending(): StoredMessage[] {
    return this.pending.take();
  }

  // ---- retention, export, close ----

  /** Delete history beyond the retention limits; outbox and pending rows are kept. Resolves the count. */
  applyRetention(now: number = Date.now()): Promise<number> {
    return this.write({ t: 'retain', now }) as Promise<number>;
  }

  /** Write every message (oldest first) to `out` without ending it. Resolves the number written. */
  export(format: ExportFormat, out: Writable, opts: { peer?: string; room?: string } = {}): Promise<number> {
    return exportMessages(this.reader, format, out, opts);
  }

  /** Commit every queued write, stop the writer thread, then close the file and release the lock. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      if (this.retentionTimer) clearInterval(this.retentionTimer);
      // the reader first: the writer then closes the last connection, which checkpoints the WAL
      // and truncates the file to its vacuumed size
      this.reader.close();
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
    return this.writer!.run(op);
  }

  private assertWritable(): void {
    this.reader.assertOpen();
    if (this.readonly)
      throw new PeerchatError('ERR_STORE_READONLY', `the store ${this.path} was opened read-only`);
  }
}
