/**
 * The Peer: a facade over one listening port and the modules that do the work (sessions, trust,
 * inbox, outbox, discovery, rooms; wired in parts.ts). Everything a person, a script or a plugin
 * does goes through here.
 */
import { DEFAULT_LIMITS, DEFAULT_TIMEOUTS, EXPIRE_CHECK_MS } from '../defaults.js';
import { PeerchatError } from '../errors.js';
import { formatAddress } from '../net/address.js';
import type { KnownHosts } from '../net/native/known-hosts.js';
import { Pending } from '../repl/pending.js';
import type { RoomMember } from '../rooms/log/public-types.js';
import type { RoomSummary } from '../rooms/swarm.js';
import type { HistoryOptions, Store, StoredMessage } from '../store/store.js';
import type { ChatMessage, Identity, PeerInfo, SendResult } from '../types.js';
import type {
  ConnectOptions,
  ContactInfo,
  ListeningInfo,
  PeerApi,
  ReadyOptions,
  SayResult,
  SendOptions,
} from './api.js';
import { awaitRound } from './autoconnect.js';
import type { PeerCore } from './core.js';
import { PeerEmitter } from './emitter.js';
import { selfCheck } from './local.js';
import type { Interceptors, Limits, PeerOptions, Timeouts } from './options.js';
import { buildParts, type Parts, seen } from './parts.js';
import { PeerTable, toInfo } from './table.js';
import { Warnings } from './warnings.js';

export { DEFAULT_LIMITS, DEFAULT_TIMEOUTS };

export class Peer extends PeerEmitter implements PeerApi {
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
  /** Private, but some tests reach the sessions through it. */
  private readonly table = new PeerTable();
  readonly #parts: Parts;
  readonly #core: PeerCore;
  /** Chat mode's holding, the REPL's (src/repl/pending.ts): made on first use. */
  #pending: Pending | null = null;
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
    this.warnings = opts.warnings ?? new Warnings();
    this.warnings.on('warning', (w) => this.emit('warning', w));
    const core: PeerCore = {
      table: this.table,
      warnings: this.warnings,
      store: this.store,
      limits: this.limits,
      timeouts: this.timeouts,
      local: () => ({ name: this.#name, port: this.#port }),
      isSelf: selfCheck(() => ({ host: this.#host, port: this.#port })),
      closing: () => this.#closing !== null,
      emit: (event, ...args) => (this.emit as (e: string, ...a: unknown[]) => boolean)(event, ...args),
    };
    this.#core = core;
    this.on('peer-disconnected', (info) => {
      this.#parts.outbox.disconnected(info.key);
      if (!core.closing()) seen(core, info); // the contact book's "seen" is when the session ended
    });
    this.#parts = buildParts(core, opts, {
      host: this.#host,
      classic: this.classic,
      identity: this.identity,
      interceptors: this.interceptors,
      id: () => this.id,
      connect: (address, o) => this.connect(address, o),
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
    return this.#parts.trust.knownHosts;
  }
  get closed(): boolean {
    return this.#closing !== null;
  }

  // ---- lifecycle -------------------------------------------------------------------------------

  /** Start listening; resolves with the real port once bound. */
  async listen(): Promise<ListeningInfo> {
    const { listener, outbox } = this.#parts;
    this.#port = await listener.listen();
    if (this.store) {
      this.#expireTimer = setInterval(() => outbox.expire(), this.#expireCheckMs);
      this.#expireTimer.unref();
      outbox.start();
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
    const { outbox, rooms, roomLogs, listener, trust } = this.#parts;
    outbox.stop();
    for (const r of this.table.connected()) seen(this.#core, r); // last seen now, not when it connected
    await Promise.all(this.table.connected().map((r) => r.session!.exit()));
    await roomLogs.destroy();
    await rooms.destroy();
    await listener.close();
    if (this.#expireTimer) clearInterval(this.#expireTimer);
    trust.flush();
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
  resolve(target: string): PeerInfo {
    return toInfo(this.table.target(target));
  }
  trust(address: string, key: string): void {
    this.#parts.trust.trust(address, key);
  }
  contacts(target?: string): ContactInfo[] {
    return this.#parts.contacts.list(target);
  }

  // chat mode is the REPL's (src/repl/pending.ts): these two stay for REPL users and scripts
  takePending(): ChatMessage[] {
    return this.#chatMode().take();
  }
  setChatTarget(address: string | null): void {
    this.#chatMode().setTarget(address);
  }
  /** Messages held so far, without clearing them. */
  peekPending(): readonly ChatMessage[] {
    return this.#chatMode().peek();
  }

  /** Called by AutoConnect when it is created: ready() waits for `round` (a promise of the round). */
  awaitFirstRound(round: Promise<Promise<unknown>>): void {
    this.#firstRound = round.then((r) => r);
  }

  async ready(opts: ReadyOptions = {}): Promise<PeerInfo[]> {
    await awaitRound(this.#firstRound, opts);
    return this.connectedPeers();
  }

  // ---- outbound ----------------------------------------------------------------------------------

  connect(address: string, opts: ConnectOptions = {}): Promise<PeerInfo> {
    this.#assertOpen();
    return this.#parts.connector.connect(address, opts);
  }
  connectAll(): Promise<PeerInfo[]> {
    return this.#parts.discovery.connectAll();
  }
  async send(target: string, text: string, opts: SendOptions = {}): Promise<SendResult> {
    this.#assertOpen();
    return this.#parts.outbox.send(target, text, opts);
  }
  broadcast(text: string): Promise<SendResult[]> {
    return this.#parts.outbox.broadcast(text);
  }
  async query(target: string): Promise<string[]> {
    this.#assertOpen();
    return this.#parts.discovery.query(this.table.target(target));
  }

  /** Outgoing native messages not acked yet. */
  outbox(): StoredMessage[] {
    return this.#parts.outbox.outbox();
  }
  /** Queue a failed message again; send it (or a queued one) now, or dial its peer now. */
  retry(id: string): Promise<StoredMessage> {
    return this.#parts.outbox.retry(id);
  }
  /** Remove a message from the outbox: it will not be resent. */
  drop(id: string): Promise<boolean> {
    return this.#parts.outbox.drop(id);
  }
  /**
   * Stored messages, oldest first (see HistoryOptions); `history({ room })` takes the options
   * alone. Empty without a store (a room's messages then stay in its room log only).
   */
  history(target?: string | HistoryOptions, opts: HistoryOptions = {}): StoredMessage[] {
    if (typeof target === 'object' && target !== null) return this.#parts.contacts.history(undefined, target);
    return this.#parts.contacts.history(target, opts);
  }

  // ---- rooms -------------------------------------------------------------------------------------

  /** Join a room on the Hyperswarm DHT and open its shared history. DHT code loads on the first join. */
  async join(room: string, opts: { secret?: string } = {}): Promise<RoomSummary[]> {
    this.#assertOpen();
    return this.#parts.roomLogs.join(room, opts.secret, () => this.#parts.rooms.join(room, opts));
  }
  /** Stop replicating the room, send EXIT on its sessions, withdraw and close; `forget` deletes its history. */
  async leave(room: string, opts: { forget?: boolean } = {}): Promise<RoomSummary[]> {
    await this.#parts.roomLogs.leave(room, opts.forget === true);
    return this.#parts.rooms.leave(room);
  }
  /** Say `text` in a joined room; resolves once appended to this member's room log. */
  say(room: string, text: string): Promise<SayResult> {
    this.#assertOpen();
    return this.#parts.roomLogs.say(room, text);
  }
  /** Every member known to a joined room, online or not. */
  members(room: string): RoomMember[] {
    return this.#parts.roomLogs.members(room);
  }
  /** The rooms joined, with how many peers each has. */
  rooms(): RoomSummary[] {
    return this.#parts.rooms.rooms();
  }

  // ---- internals ---------------------------------------------------------------------------------

  #chatMode(): Pending {
    this.#pending ??= new Pending(this, this.store, (err) => this.warnings.fail(err, 'store'));
    return this.#pending;
  }

  #assertOpen(): void {
    if (this.#closing) throw new PeerchatError('ERR_CLOSED', 'the peer is closed');
  }
}
