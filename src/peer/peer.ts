/**
 * The Peer: a facade over one listening port and the modules that do the work (sessions, trust,
 * inbox, outbox, discovery, rooms). Everything a person, a script or a plugin does goes through here.
 */
import { EventEmitter } from 'node:events';
import { networkInterfaces } from 'node:os';
import {
  DEFAULT_LIMITS,
  DEFAULT_READY_TIMEOUT_MS,
  DEFAULT_TIMEOUTS,
  EXPIRE_CHECK_MS,
  LISTEN_BACKLOG,
} from '../defaults.js';
import { PeerchatError } from '../errors.js';
import { formatAddress, parseAddress, toAddress } from '../net/address.js';
import { Listener } from '../net/listener.js';
import type { KnownHosts } from '../net/native/known-hosts.js';
import type { Session } from '../net/session.js';
import { type Opened, Upgrade } from '../net/upgrade.js';
import type { RoomMember } from '../rooms/log/index.js';
import type { RoomSummary } from '../rooms/swarm.js';
import { matchContacts } from '../store/contacts.js';
import type { HistoryOptions, Store, StoredMessage } from '../store/store.js';
import type { ChatMessage, Identity, PeerInfo, SendResult } from '../types.js';
import { VERSION } from '../version.js';
import type {
  ConnectOptions,
  ContactInfo,
  ListeningInfo,
  PeerApi,
  PeerEvents,
  ReadyOptions,
  SayResult,
  SendOptions,
} from './api.js';
import type { PeerCore } from './core.js';
import { Discovery } from './discovery.js';
import { Inbox } from './inbox.js';
import type { Interceptors, Limits, PeerOptions, Timeouts } from './options.js';
import { Outbox } from './outbox.js';
import { RoomLogs } from './room-log.js';
import { PeerRooms } from './rooms.js';
import { Sessions } from './sessions.js';
import { type PeerRecord, PeerTable, toInfo } from './table.js';
import { Trust } from './trust.js';
import { Warnings } from './warnings.js';

export { DEFAULT_LIMITS, DEFAULT_TIMEOUTS };

export class Peer extends EventEmitter implements PeerApi {
  readonly limits: Limits;
  readonly timeouts: Timeouts;
  readonly classic: boolean;
  readonly identity: Identity | null;
  readonly store: Store | null;
  /** Given in PeerOptions, fixed for the Peer's life (read-only, also at run time). */
  declare readonly interceptors: Readonly<Interceptors>;
  readonly warnings: Warnings;

  #name: string;
  #host: string;
  #port: number;
  #closing: Promise<void> | null = null;
  #expireTimer: NodeJS.Timeout | null = null;
  readonly #expireCheckMs: number;
  readonly #allowList: boolean;
  /** Private, but some tests reach the sessions through it. */
  private readonly table = new PeerTable();
  readonly #dialing = new Map<string, Promise<PeerInfo>>();
  readonly #localHosts = localAddresses();
  readonly #trust: Trust;
  readonly #listener: Listener;
  readonly #upgrade: Upgrade;
  readonly #sessions: Sessions;
  readonly #inbox: Inbox;
  readonly #outbox: Outbox;
  readonly #discovery: Discovery;
  readonly #rooms: PeerRooms;
  readonly #roomLogs: RoomLogs;
  /** The configured peers' first connection round (see AutoConnect); ready() waits for it. */
  #firstRound: Promise<unknown> = Promise.resolve();

  constructor(opts: PeerOptions) {
    super();
    this.#name = opts.name;
    this.#host = opts.host ?? '0.0.0.0';
    this.#port = opts.port ?? 0;
    this.identity = opts.identity ?? null;
    this.classic = opts.classic ?? true;
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits };
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...opts.timeouts };
    // not writable: plugins reach the message path only through what the composition root passed in
    Object.defineProperty(this, 'interceptors', {
      value: opts.interceptors ?? {},
      writable: false,
      enumerable: true,
      configurable: false,
    });
    this.store = opts.store ?? null;
    this.#expireCheckMs = opts.expireCheckMs ?? EXPIRE_CHECK_MS;
    this.#allowList = (opts.allow ?? null) !== null;
    this.warnings = opts.warnings ?? new Warnings();
    this.warnings.on('warning', (w) => this.emit('warning', w));
    this.on('peer-disconnected', (info) => this.#outbox.disconnected(info.key));
    const warnings = this.warnings;
    this.#trust = new Trust({
      dataDir: opts.dataDir ?? null,
      allow: opts.allow ?? null,
      warn: warnings.sink,
    });

    const core: PeerCore = {
      table: this.table,
      warnings,
      store: this.store,
      limits: this.limits,
      timeouts: this.timeouts,
      local: () => ({ name: this.#name, port: this.#port }),
      isSelf: (host, port) => this.#isSelf(host, port),
      closing: () => this.#closing !== null,
      emit: (event, ...args) => (this.emit as (e: string, ...a: unknown[]) => boolean)(event, ...args),
    };
    const transform = (dir: 'incoming' | 'outgoing') => async (msg: ChatMessage) => {
      const fn = this.interceptors[dir];
      if (!fn) return msg;
      try {
        return await fn(msg);
      } catch (err) {
        warnings.fail(err, `${dir} transform failed; the message was left as it was`);
        return msg;
      }
    };
    this.#discovery = new Discovery(core, (address) => this.connect(address));
    this.#inbox = new Inbox(core, transform('incoming'));
    if (this.store) this.table.contacts = () => this.store?.contacts() ?? [];
    this.#outbox = new Outbox(
      core,
      {
        resolve: (target) => this.table.target(target),
        connect: (address, key) => this.connect(address, key ? { key } : {}),
        dial: (address, key) => this.connect(address, { key }),
        pinned: (address) => this.#trust.pinned(address),
        downgrade: (rec) => this.#trust.refuseDowngrade(rec.address, rec.key),
        classic: this.classic,
        transform: () => (this.interceptors.outgoing ? transform('outgoing') : null),
      },
      opts.redial,
    );
    this.#upgrade = new Upgrade({
      identity: this.identity,
      classic: this.classic,
      local: core.local,
      version: VERSION,
      limits: this.limits,
      timeouts: this.timeouts,
      warning: warnings.sink,
      verifyKey: (remote, expected) => this.#trust.verifyKey(remote, expected),
      peerlist: () => this.#classicPeerlist(),
    });
    this.#roomLogs = new RoomLogs(core, {
      dataDir: opts.dataDir ?? null,
      maxEntries: opts.roomMaxEntries,
      roomsOf: (key) => this.#rooms.roomsOf(key),
      transform: transform('incoming'),
    });
    this.#rooms = new PeerRooms(core, {
      logs: this.#roomLogs,
      identity: this.identity,
      dht: opts.dht,
      hello: () => this.#upgrade.hello(),
      verifyKey: (remote) => this.#trust.verifyKey(remote, null),
      adopt: (o) => this.#adopt(o),
    });
    this.#sessions = new Sessions(core, {
      localId: () => this.id,
      roomsOf: (key) => this.#rooms.roomsOf(key),
      attached: (rec, session) => {
        session.on('chat', (chat, ack, claimed) => this.#inbox.fromSession(rec, session, chat, ack, claimed));
        session.on('peers-request', (reply) => reply(this.#discovery.entriesFor(rec.address)));
      },
      established: (rec, session) => this.#established(rec, session),
    });
    this.#listener = new Listener({
      host: this.#host,
      port: this.#port,
      backlog: LISTEN_BACKLOG,
      limits: this.limits,
      idleMs: this.timeouts.idle,
      classic: this.classic,
      closing: core.closing,
      warning: warnings.sink,
      connect: (frame, conn, host) => this.#upgrade.answer(frame, conn, host, (o) => this.#adopt(o)),
      chat: (chat, ack, claimed) => this.#inbox.fromClaim(chat, ack, claimed),
      peerlist: () => this.#classicPeerlist(),
      exit: (host, port, conn) => this.#sessions.exitFrom(host, port, conn),
    });
  }

  get name(): string {
    return this.#name;
  }
  get host(): string {
    return this.#host;
  }
  get port(): number {
    return this.#port;
  }
  get address(): string {
    const shown = this.#host === '0.0.0.0' || this.#host === '::' ? '127.0.0.1' : this.#host;
    return formatAddress(shown, this.#port);
  }
  get id(): string | null {
    return this.identity?.id ?? null;
  }
  get fingerprint(): string | null {
    return this.identity?.fingerprint ?? null;
  }
  get knownHosts(): KnownHosts {
    return this.#trust.knownHosts;
  }
  get closed(): boolean {
    return this.#closing !== null;
  }

  // ---- lifecycle -------------------------------------------------------------------------------

  /** Start listening; resolves with the real port once bound. */
  async listen(): Promise<ListeningInfo> {
    this.#port = await this.#listener.listen();
    if (this.store) {
      this.#expireTimer = setInterval(() => this.#outbox.expire(), this.#expireCheckMs);
      this.#expireTimer.unref();
      this.#outbox.start();
    }
    const info: ListeningInfo = { name: this.#name, host: this.#host, port: this.#port, id: this.id };
    this.emit('listening', info);
    return info;
  }

  /** Send EXIT to every connected peer, wait until flushed, and close everything. */
  exit(): Promise<void> {
    if (!this.#closing) this.#closing = this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    this.#outbox.stop();
    await Promise.all(this.table.connected().map((r) => r.session!.exit()));
    await this.#roomLogs.destroy();
    await this.#rooms.destroy();
    await this.#listener.close();
    if (this.#expireTimer) clearInterval(this.#expireTimer);
    this.#trust.flush();
    await this.store?.close();
    this.emit('close');
  }

  // ---- tables ------------------------------------------------------------------------------------

  activePeers(): PeerInfo[] {
    return this.table.all().map(toInfo);
  }
  connectedPeers(): PeerInfo[] {
    return this.table.connected().map(toInfo);
  }
  takePending(): ChatMessage[] {
    return this.#inbox.takeHeld();
  }
  /** Messages held so far, without clearing them. */
  peekPending(): readonly ChatMessage[] {
    return this.#inbox.peekHeld();
  }
  setChatTarget(address: string | null): void {
    this.#inbox.setChatTarget(address);
  }
  resolve(target: string): PeerInfo {
    return toInfo(this.table.target(target));
  }
  trust(address: string, key: string): void {
    this.#trust.trust(address, key);
  }
  contacts(target?: string): ContactInfo[] {
    let book: ContactInfo[];
    try {
      book = (this.store?.contacts() ?? []).map((c) => ({
        ...c,
        connected: c.key
          ? this.table.byKey(c.key)?.session != null
          : this.table.get(c.addresses[0] ?? '')?.session != null,
      }));
    } catch (err) {
      this.warnings.fail(err, 'could not read the contacts');
      return [];
    }
    return target === undefined ? book : (matchContacts(book, String(target)) as ContactInfo[]);
  }

  /** Called by AutoConnect when it is created: ready() waits for `round` (a promise of the round). */
  awaitFirstRound(round: Promise<Promise<unknown>>): void {
    this.#firstRound = round.then((r) => r);
  }

  async ready(opts: ReadyOptions = {}): Promise<PeerInfo[]> {
    const timeout = opts.timeout ?? DEFAULT_READY_TIMEOUT_MS;
    if (!Number.isFinite(timeout) || timeout < 0) {
      throw new PeerchatError(
        'ERR_USAGE',
        'ready({ timeout }): timeout is a number of milliseconds, 0 or more',
      );
    }
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeout);
    });
    try {
      await Promise.race([this.#firstRound.catch(() => {}), late]);
    } finally {
      clearTimeout(timer);
    }
    return this.connectedPeers();
  }

  // ---- outbound ----------------------------------------------------------------------------------

  connect(address: string, opts: ConnectOptions = {}): Promise<PeerInfo> {
    this.#assertOpen();
    if (typeof address === 'string' && !parseAddress(address.trim())) {
      // a contact's name or fingerprint prefix: its live session, else its last address with its key
      const rec = this.#contactRecord(address.trim());
      if (rec?.session) return Promise.resolve(toInfo(rec));
      if (rec?.address) return this.connect(rec.address, { key: opts.key ?? rec.key ?? undefined });
      if (rec) {
        const who = rec.name ?? address;
        return Promise.reject(new PeerchatError('ERR_PEER_UNREACHABLE', `${who} has no known address`));
      }
    }
    const a = toAddress(address);
    const key = formatAddress(a.host, a.port);
    if (this.#isSelf(a.host, a.port)) {
      return Promise.reject(new PeerchatError('ERR_INVALID_ADDRESS', `${key} is this peer`));
    }
    const rec = this.table.get(key);
    const want = opts.key?.toLowerCase();
    if (rec?.session && want && rec.key !== want) {
      // another peer holds a session from that address (a reused port): not the one asked for
      const shown = rec.fingerprint ?? 'no key';
      return Promise.reject(
        new PeerchatError(
          'ERR_KEY_MISMATCH',
          `${key} is now ${shown}, not the key expected (${want.slice(0, 16)}…)`,
        ),
      );
    }
    if (rec?.session) return Promise.resolve(toInfo(rec));
    let p = this.#dialing.get(key);
    if (!p) {
      p = this.#upgrade
        .dial(a.host, a.port, opts.key ?? null)
        .then((o) => this.#adopt(o, { expected: opts.key ?? null }))
        .finally(() => this.#dialing.delete(key));
      this.#dialing.set(key, p);
    }
    return p;
  }

  connectAll(): Promise<PeerInfo[]> {
    return this.#discovery.connectAll();
  }

  async send(target: string, text: string, opts: SendOptions = {}): Promise<SendResult> {
    this.#assertOpen();
    return this.#outbox.send(target, text, opts);
  }

  broadcast(text: string): Promise<SendResult[]> {
    return this.#outbox.broadcast(text);
  }

  async query(target: string): Promise<string[]> {
    this.#assertOpen();
    return this.#discovery.query(this.table.target(target));
  }

  /** Outgoing native messages not acked yet. */
  outbox(): StoredMessage[] {
    return this.#outbox.outbox();
  }
  /** Queue a failed message again; send it (or a queued one) now, or dial its peer now. */
  retry(id: string): Promise<StoredMessage> {
    return this.#outbox.retry(id);
  }
  /** Remove a message from the outbox: it will not be resent. */
  drop(id: string): Promise<boolean> {
    return this.#outbox.drop(id);
  }

  /**
   * Stored messages, oldest first (see HistoryOptions); `history({ room })` takes the options
   * alone. Empty without a store (a room's messages then stay in its room log only).
   */
  history(target?: string | HistoryOptions, opts: HistoryOptions = {}): StoredMessage[] {
    if (typeof target === 'object' && target !== null) return this.history(undefined, target);
    if (!this.store) return [];
    let peer = opts.peer;
    if (target !== undefined && target !== null) {
      const t = String(target).trim();
      const rec = this.table.resolve(t) ?? (parseAddress(t) ? undefined : this.#contactRecord(t));
      // a contact's rows are found by its key, whatever address it used
      peer = rec ? (rec.key ?? rec.address) : t;
    }
    return this.store.history({ ...opts, peer });
  }

  // ---- rooms -------------------------------------------------------------------------------------

  /** Join a room on the Hyperswarm DHT and open its shared history. DHT code loads on the first join. */
  async join(room: string, opts: { secret?: string } = {}): Promise<RoomSummary[]> {
    this.#assertOpen();
    return this.#roomLogs.join(room, opts.secret, () => this.#rooms.join(room, opts));
  }
  /** Stop replicating the room, send EXIT on its sessions, withdraw and close; `forget` deletes its history. */
  async leave(room: string, opts: { forget?: boolean } = {}): Promise<RoomSummary[]> {
    await this.#roomLogs.leave(room, opts.forget === true);
    return this.#rooms.leave(room);
  }
  /** Say `text` in a joined room; resolves once appended to this member's room log. */
  say(room: string, text: string): Promise<SayResult> {
    this.#assertOpen();
    return this.#roomLogs.say(room, text);
  }
  /** Every member known to a joined room, online or not. */
  members(room: string): RoomMember[] {
    return this.#roomLogs.members(room);
  }
  /** The rooms joined, with how many peers each has. */
  rooms(): RoomSummary[] {
    return this.#rooms.rooms();
  }

  // ---- internals ---------------------------------------------------------------------------------

  /** The live peer or contact a name or fingerprint prefix names; undefined when none does. */
  #contactRecord(target: string): PeerRecord | undefined {
    return this.table.resolve(target) ?? this.table.contact(target);
  }

  /**
   * A ready session: check it against the address dialled and its pin (`dial.expected`: the key the
   * dial meant, a contact's or a configured one), refuse plaintext to a peer known by a key, then
   * put it in the tables.
   */
  #adopt(o: Opened, dial?: { expected: string | null }): PeerInfo {
    const refused =
      this.#trust.admit(o, dial?.expected ?? null) ??
      (o.key
        ? null
        : this.#trust.refuseDowngrade(
            formatAddress(o.host, o.port),
            this.table.get(formatAddress(o.host, o.port))?.key ?? null,
          ));
    if (refused) {
      o.session.destroy('closed', refused);
      throw refused;
    }
    return this.#sessions.attach(o);
  }

  #established(rec: PeerRecord, session: Session): void {
    if (!this.store) return;
    this.store
      .seenPeer({ address: rec.address, key: rec.key, name: rec.name ?? '', via: rec.via })
      .catch((err) => this.warnings.fail(err, 'store'));
    if (session.protocol === 'native') this.#outbox.flush(rec, session);
  }

  /**
   * A classic QUERY has no key: it is answered only when classic peers are accepted and no allow
   * list restricts who may talk to this peer (native peers ask over their authenticated session).
   */
  #classicPeerlist(): string[] | null {
    if (!this.classic) {
      this.warnings.warn('ERR_CLASSIC_REFUSED', 'refused a classic QUERY (classic is off)');
      return null;
    }
    if (this.#allowList) {
      this.warnings.warn(
        'ERR_NOT_ALLOWED',
        'refused a classic QUERY: an allow list is set, and it has no key',
      );
      return null;
    }
    return this.#discovery.peerlist();
  }

  #isSelf(host: string, port: number): boolean {
    return port === this.#port && (this.#localHosts.has(host) || host === this.#host);
  }

  #assertOpen(): void {
    if (this.#closing) throw new PeerchatError('ERR_CLOSED', 'the peer is closed');
  }

  // Typed here, not by EventEmitter<T>: each @types/node release types the generic emitter
  // differently, and a plugin author's project may use another one than ours.
  override on<E extends keyof PeerEvents>(event: E, fn: (...args: PeerEvents[E]) => void): this {
    return super.on(event as never, fn as never);
  }
  override once<E extends keyof PeerEvents>(event: E, fn: (...args: PeerEvents[E]) => void): this {
    return super.once(event as never, fn as never);
  }
  override off<E extends keyof PeerEvents>(event: E, fn: (...args: PeerEvents[E]) => void): this {
    return super.off(event as never, fn as never);
  }
  override emit<E extends keyof PeerEvents>(event: E, ...args: PeerEvents[E]): boolean {
    return super.emit(event, ...args);
  }
}

function localAddresses(): Set<string> {
  const out = new Set(['127.0.0.1', '0.0.0.0', '::1', '::', 'localhost']);
  for (const list of Object.values(networkInterfaces())) for (const i of list ?? []) out.add(i.address);
  return out;
}
