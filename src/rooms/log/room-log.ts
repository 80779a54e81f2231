/**
 * A room's shared history: one hypercore per author (Cabal's model), kept in a Corestore under
 * `<dataDir>/rooms/<topic hex>`. This member appends to its own core; every other author's core
 * is replicated from whichever members hold it, over the protomux of connections that already
 * exist. See docs/rooms.md ("Shared history").
 */
import { EventEmitter } from 'node:events';
import { mkdir, rm } from 'node:fs/promises';
import type Corestore from 'corestore';
import type Hypercore from 'hypercore';
import type Protomux from 'protomux';
import { v7 as uuidv7 } from 'uuid';
import { type Code, PeerchatError } from '../../errors.js';
import { type Announce, announce, MAX_ANNOUNCED_AUTHORS } from './announce.js';
import { Appender } from './appender.js';
import { AuthorsFile } from './authors-file.js';
import { ANNOUNCE_PROTOCOL } from './channels.js';
import { decodeEntry } from './entry.js';
import { InOrder } from './in-order.js';
import { announceChannelId } from './keys.js';
import { checkOptions, DEFAULT_MAX_ENTRIES, listMembers } from './members.js';
import { compareEntries, insertionPoint } from './order.js';
import {
  type Author,
  type Item,
  newAuthor,
  type RoomEntry,
  type RoomLogOptions,
  type RoomMember,
  roomLogDir,
  roomLogWarning,
  type Session,
} from './types.js';

export { DEFAULT_MAX_ENTRIES };

export class RoomLog extends EventEmitter {
  readonly dir: string;
  readonly maxEntries: number;
  private readonly store: Corestore;
  private readonly own: Hypercore;
  private readonly authors = new Map<string, Author>();
  private readonly index: Item[] = [];
  private readonly sessions = new Map<Protomux, Session>();
  private readonly paired = new Set<Protomux>();
  private readonly seen = new Map<string, number>();
  /** Author keys being opened, so two announces naming one key open it once. */
  private readonly adding = new Set<string>();
  private readonly channelId: Buffer;
  private readonly encryption: { key: Buffer } | null;
  private readonly now: () => number;
  private closing: Promise<void> | null = null;
  private readonly appender: Appender;
  private readonly authorsFile: AuthorsFile;

  private constructor(opts: RoomLogOptions, dir: string, CorestoreClass: typeof Corestore) {
    super();
    this.dir = dir;
    this.maxEntries = opts.maxEntries ?? DEFAULT_MAX_ENTRIES;
    this.now = opts.now ?? Date.now;
    this.channelId = announceChannelId(opts.topic);
    this.encryption = opts.encryptionKey ? { key: opts.encryptionKey } : null;
    this.store = new CorestoreClass(dir);
    this.own = this.store.get({ name: 'author', encryption: this.encryption });
    this.appender = new Appender(
      this.own,
      (entry) => {
        this.indexEntry(this.authors.get(entry.author) as Author, entry);
        this.emit('entry', entry);
      },
      () => this.closing !== null,
    );
    this.authorsFile = new AuthorsFile(dir, (err) =>
      this.warn('ERR_STORE_WRITE', 'the room author list could not be saved', err),
    );
  }

  /** Opens (or creates) the room's log and indexes what is on disk. */
  static async open(opts: RoomLogOptions): Promise<RoomLog> {
    checkOptions(opts);
    const dir = roomLogDir(opts.dataDir, opts.topic);
    await mkdir(dir, { recursive: true });
    // loaded on the first room: hypercore and its RocksDB storage cost a peer that never joins one
    // about 90 modules and a native addon at start-up (docs/benchmarks.md, start-up row)
    const { default: CorestoreClass } = await import('corestore');
    const log = new RoomLog(opts, dir, CorestoreClass);
    try {
      await log.load();
    } catch (err) {
      await log.store.close().catch(() => {});
      throw new PeerchatError('ERR_STORE_CORRUPT', `room log at ${dir} cannot be opened`, { cause: err });
    }
    return log;
  }

  /** This member's author core key (hex). */
  get key(): string {
    return this.own.key.toString('hex');
  }

  /**
   * Appends a message to this member's core; resolves with the entry once it is stored.
   * Appends made while one is being written go to the core as one batch (one flush, one signature).
   */
  append(text: string, meta: { name: string; id?: string; ts?: number }): Promise<RoomEntry> {
    try {
      this.checkOpen();
      return this.appender.append({
        id: meta.id ?? uuidv7(),
        ts: meta.ts ?? this.now(),
        name: meta.name,
        text,
      });
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** How many connected sessions hold the entry (their copy of its core reaches past it). */
  holders(entry: { author: string; seq: number }): number {
    const core = this.authors.get(entry.author)?.core;
    if (!core) return 0;
    return core.peers.filter((p) => p.remoteLength > entry.seq).length;
  }

  /**
   * Replicates the log over an existing protomux (for a secret-stream connection:
   * `Protomux.from(noiseStream)`; hypercore needs `mux.stream` to look like a NoiseSecretStream:
   * `opened`, `isInitiator`, `handshakeHash`, `remotePublicKey`). Stops with the connection.
   */
  replicate(mux: Protomux): void {
    this.checkOpen();
    if (this.sessions.has(mux)) return;
    if (!this.paired.has(mux)) {
      // a remote that opens the channel again later (it joined the room later) is answered
      this.paired.add(mux);
      mux.pair({ protocol: ANNOUNCE_PROTOCOL, id: this.channelId }, () => {
        if (!this.closing) this.replicate(mux);
      });
      mux.stream.once('close', () => this.paired.delete(mux));
    }
    const channel = mux.createChannel({
      protocol: ANNOUNCE_PROTOCOL,
      id: this.channelId,
      unique: true,
      handshake: announce,
      messages: [{ encoding: announce, onmessage: (a: Announce | null) => this.onAnnounce(session, a) }],
      onopen: (a: Announce | null) => {
        // the remote is in the room (it paired the channel): now the author logs
        for (const author of this.authors.values()) author.core.replicate(mux);
        this.onAnnounce(session, a);
      },
      onclose: () => this.sessions.delete(mux),
    });
    if (!channel) return;
    const session: Session = {
      mux,
      channel,
      send: channel.messages[0] as Protomux.Message<Announce>,
      attachedAt: this.now(),
      own: null,
    };
    this.sessions.set(mux, session);
    // the author logs follow once the channel opens: a remote not in the room rejects the open,
    // and is then never sent one hypercore channel (see `offer`)
    channel.open(this.announcement());
  }

  /**
   * Offer the room on a connection whose remote may not be in it: open the announce channel once.
   * A remote in the room pairs it and replication starts; one that is not rejects it, and its own
   * open later (it joins the room) is answered through the pairing `replicate` sets up.
   */
  offer(mux: Protomux): boolean {
    this.checkOpen();
    if (this.sessions.has(mux) || this.paired.has(mux)) return false;
    this.replicate(mux);
    return true;
  }

  /** Every entry in read order, oldest first; `before`/`limit` page back from the newest. */
  async entries(
    opts: { limit?: number; before?: { ts: number; author: string; seq: number } } = {},
  ): Promise<RoomEntry[]> {
    this.checkOpen();
    let end = this.index.length;
    if (opts.before) end = insertionPoint(this.index, { ...opts.before, seq: opts.before.seq - 1 });
    const start = opts.limit === undefined ? 0 : Math.max(0, end - opts.limit);
    const out: RoomEntry[] = [];
    for (const item of this.index.slice(start, end)) {
      const entry = await this.read(item.author, item.seq);
      if (entry) out.push({ ...entry, late: false });
    }
    return out;
  }

  /** Number of entries held (after retention). */
  get size(): number {
    return this.index.length;
  }

  /** Every author known to the room, online or not. */
  members(): RoomMember[] {
    return listMembers(this.authors.values(), this.sessions.values(), this.seen, this.key);
  }

  /** Stops replicating and closes the store; the data stays on disk. */
  close(): Promise<void> {
    if (!this.closing) {
      this.closing = (async () => {
        for (const s of this.sessions.values()) s.channel.close();
        this.sessions.clear();
        for (const mux of this.paired) mux.unpair({ protocol: ANNOUNCE_PROTOCOL, id: this.channelId });
        this.paired.clear();
        for (const a of this.authors.values()) {
          a.range?.destroy();
          a.order?.close();
        }
        await this.appender.idle;
        await this.authorsFile.saved;
        await this.store.close();
      })();
    }
    return this.closing;
  }

  /** Closes and deletes the room's local data. */
  async forget(): Promise<void> {
    await this.close();
    await rm(this.dir, { recursive: true, force: true });
  }

  // --- internals

  private checkOpen(): void {
    if (this.closing) throw new PeerchatError('ERR_CLOSED', 'the room log is closed');
  }

  private async load(): Promise<void> {
    await this.own.ready();
    await this.addAuthor(this.own, false);
    const keys = await this.authorsFile.read();
    for (const k of keys.slice(0, MAX_ANNOUNCED_AUTHORS)) {
      if (k === this.key) continue;
      await this.addAuthor(
        this.store.get({ key: Buffer.from(k, 'hex'), encryption: this.encryption }),
        false,
      );
    }
  }

  private async addAuthor(core: Hypercore, announceIt: boolean): Promise<Author | null> {
    await core.ready();
    const key = core.key.toString('hex');
    const existing = this.authors.get(key);
    if (existing) return existing;
    const author = newAuthor(key, core, core === this.own ? null : new InOrder((e) => this.emit('entry', e)));
    this.authors.set(key, author);
    // what is on disk: the newest `maxEntries` blocks this member holds
    const first = Math.max(0, core.length - this.maxEntries);
    author.order?.skipTo(first);
    for (let seq = first; seq < core.length; seq++) {
      if (!(await core.has(seq))) continue;
      const entry = await this.read(key, seq);
      if (entry) this.indexEntry(author, entry);
      author.order?.pass(seq); // shown before this run, or unreadable
    }
    if (core !== this.own) {
      core.on('download', (seq: number, _bytes: number, from: Hypercore.Peer) => {
        void this.onDownload(author, seq, from);
      });
      core.on('verification-error', (err: unknown, _req: unknown, _res: unknown, from: Hypercore.Peer) => {
        this.warn(
          'ERR_BAD_FRAME',
          `a block of room author ${key.slice(0, 16)} failed verification and was rejected`,
          err,
          from,
        );
      });
      core.on('append', () => this.rangeFrom(author));
      this.rangeFrom(author);
    }
    for (const s of this.sessions.values()) if (s.channel.opened) core.replicate(s.mux);
    if (announceIt) {
      this.authorsFile.save([...this.authors.keys()]);
      const msg = this.announcement();
      for (const s of this.sessions.values()) if (s.channel.opened) s.send.send(msg);
    }
    return author;
  }

  /** (Re)starts the live download of an author's core at the first entry retention keeps. */
  private rangeFrom(author: Author): void {
    if (this.closing) return;
    const start = Math.max(author.floor, author.core.length - this.maxEntries, 0);
    if (author.range && start <= author.rangeStart) return;
    author.range?.destroy();
    author.rangeStart = start;
    author.order?.skipTo(start);
    author.range = author.core.download({ start, end: -1 });
  }

  private async onDownload(author: Author, seq: number, from: Hypercore.Peer): Promise<void> {
    if (seq < author.floor) {
      await author.core.clear(seq, seq + 1).catch(() => {});
      return;
    }
    if (author.indexed.has(seq)) return;
    const entry = await this.read(author.key, seq);
    if (author.indexed.has(seq)) return;
    if (!entry) return author.order?.pass(seq);
    const session = this.sessions.get(from.protomux);
    entry.late = session ? entry.ts < session.attachedAt : true;
    if (this.indexEntry(author, entry)) author.order?.push(entry);
    else author.order?.pass(seq);
  }

  /** Reads and checks one block; a bad entry is reported and skipped. */
  private async read(key: string, seq: number): Promise<RoomEntry | null> {
    const author = this.authors.get(key);
    if (!author || this.closing) return null;
    let block: Buffer | null;
    try {
      block = await author.core.get(seq, { wait: false });
    } catch (err) {
      if (!this.closing)
        this.warn('ERR_STORE_CORRUPT', `room log block ${key.slice(0, 16)}/${seq} unreadable`, err);
      return null;
    }
    if (!block) return null;
    try {
      const body = decodeEntry(block, this.now());
      return { ...body, author: key, seq, local: key === this.key, late: false };
    } catch (err) {
      // signed by its author, so the author wrote it: the author is reported, not the relay
      this.warn('ERR_BAD_FRAME', `room author ${key.slice(0, 16)} wrote an invalid entry at ${seq}`, err);
      return null;
    }
  }

  /** Adds an entry to the read order and applies retention; false when retention dropped it. */
  private indexEntry(author: Author, entry: RoomEntry): boolean {
    if (author.indexed.has(entry.seq) || entry.seq < author.floor) return false;
    author.indexed.add(entry.seq);
    if (author.lastTs === null || entry.ts >= author.lastTs) {
      author.lastTs = entry.ts;
      author.name = entry.name;
    }
    const item: Item = { ts: entry.ts, author: author.key, seq: entry.seq };
    this.index.splice(insertionPoint(this.index, item), 0, item);
    let kept = true;
    while (this.index.length > this.maxEntries) {
      const old = this.index.shift() as Item;
      if (compareEntries(old, item) === 0) kept = false;
      this.evict(old);
    }
    return kept;
  }

  private evict(item: Item): void {
    const author = this.authors.get(item.author);
    if (!author) return;
    author.indexed.delete(item.seq);
    if (item.seq + 1 > author.floor) {
      // an author's older entries go with it, so the download range can move past them
      author.floor = item.seq + 1;
      author.order?.skipTo(author.floor);
      for (const seq of author.indexed) {
        if (seq < author.floor) {
          author.indexed.delete(seq);
          const at = this.index.findIndex((i) => i.author === item.author && i.seq === seq);
          if (at >= 0) this.index.splice(at, 1);
        }
      }
      this.rangeFrom(author);
    }
    author.core.clear(item.seq, item.seq + 1).catch(() => {});
  }

  private onAnnounce(session: Session, a: Announce | null): void {
    if (this.closing) return;
    if (!a) {
      this.warn('ERR_BAD_FRAME', 'a malformed room log announce was received', undefined, undefined, session);
      return;
    }
    session.own = a.own.toString('hex');
    this.seen.set(session.own, this.now());
    for (const k of [a.own, ...a.authors]) {
      const hex = k.toString('hex');
      if (this.authors.has(hex) || this.adding.has(hex)) continue;
      if (this.authors.size + this.adding.size >= MAX_ANNOUNCED_AUTHORS) {
        this.warn(
          'ERR_BAD_FRAME',
          `the room has more than ${MAX_ANNOUNCED_AUTHORS} authors; more are ignored`,
        );
        return;
      }
      const core = this.store.get({ key: k, encryption: this.encryption });
      this.addAuthor(core, true).catch((err) => {
        if (!this.closing)
          this.warn('ERR_STORE_WRITE', `room author ${hex.slice(0, 16)} could not be added`, err);
      });
    }
  }

  private announcement(): Announce {
    const authors = [...this.authors.values()].slice(0, MAX_ANNOUNCED_AUTHORS).map((a) => a.core.key);
    return { own: this.own.key, authors };
  }

  private warn(code: Code, message: string, cause?: unknown, from?: Hypercore.Peer, session?: Session): void {
    this.emit('warning', roomLogWarning(code, message, cause, session?.mux ?? from?.protomux ?? null, from));
  }
}
