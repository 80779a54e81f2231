/**
 * The Peer: one listening port, the peer tables, and sessions of either protocol.
 * Everything a person, a script or a plugin does goes through here.
 */
import { EventEmitter } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { networkInterfaces } from 'node:os';
import { v7 as uuidv7 } from 'uuid';
import { type Code, PeerchatError, type Warning } from '../errors.js';
import { formatAddress, normalizeHost, parseAddress, toAddress } from '../net/address.js';
import { queryPeerlist } from '../net/classic/client.js';
import { encodeFrame, type Frame } from '../net/classic/codec.js';
import { ClassicConnection } from '../net/classic/connection.js';
import { ClassicSession } from '../net/classic/session.js';
import { dial } from '../net/dial.js';
import { fingerprint } from '../net/native/identity.js';
import { KnownHosts } from '../net/native/known-hosts.js';
import { CAPABILITY, createNativeSession, type NativeSession } from '../net/native/session.js';
import type { Hello, Session, WireChat } from '../net/session.js';
import type { RoomConnectionInfo, RoomSummary, Rooms } from '../rooms/swarm.js';
import type { HistoryOptions, Store, StoredMessage } from '../store/store.js';
import type { ChatMessage, DisconnectReason, Identity, PeerEntry, PeerInfo, SendResult } from '../types.js';
import { VERSION } from '../version.js';
import type { ConnectOptions, ListeningInfo, PeerApi, PeerEvents, SendOptions } from './api.js';
import { Delivery, plain } from './delivery.js';
import type { Interceptors, Limits, PeerOptions, Timeouts } from './options.js';
import { type PeerRecord, PeerTable, toInfo } from './table.js';
import { WarningLimiter } from './warnings.js';

export const DEFAULT_LIMITS: Limits = {
  maxFrameBytes: 64 * 1024,
  maxInbound: 512,
  maxUnauthenticated: 64,
  maxPeerlistKeys: 256,
};

export const DEFAULT_TIMEOUTS: Timeouts = {
  connect: 5000,
  handshake: 10_000,
  idle: 30_000,
  ack: 10_000,
  query: 5000,
  keepAlive: 2000,
  session: 6000,
};

/** Message ids remembered for de-duplication. */
const SEEN_IDS = 10_000;
/** Two sessions with one peer opened this close together are a simultaneous connect, not a restart. */
const SIMULTANEOUS_MS = 2000;
/** Listen backlog: the original's 5 stalls bursts on SYN retransmits. */
const LISTEN_BACKLOG = 1024;
/** Held messages kept in chat mode. */
const MAX_PENDING = 1000;
/** A room peer whose connection dropped is reported lost only if no new one arrives within this. */
const ROOM_GRACE_MS = 1500;
/** How often queued messages are checked for expiry. */
const EXPIRE_CHECK_MS = 30_000;

type Listener<E extends keyof PeerEvents> = (...args: PeerEvents[E]) => void;

export class Peer extends EventEmitter implements PeerApi {
  readonly limits: Limits;
  readonly timeouts: Timeouts;
  readonly classic: boolean;
  readonly identity: Identity | null;
  readonly knownHosts: KnownHosts;
  readonly store: Store | null;
  interceptors: Interceptors;

  private _name: string;
  private _host: string;
  private _port: number;
  private server: Server | null = null;
  private readonly table = new PeerTable();
  private readonly inbound = new Set<Socket>();
  private unauthenticated = 0;
  private readonly dialing = new Map<string, Promise<PeerInfo>>();
  private readonly seen = new Set<string>();
  /** The ids of `seen` in arrival order, as a ring: evicting the oldest stays O(1). */
  private readonly seenRing: (string | undefined)[] = new Array(SEEN_IDS);
  private seenNext = 0;
  private pendingQueue: ChatMessage[] = [];
  private chatTarget: string | null = null;
  private allow: Set<string> | null;
  private closing: Promise<void> | null = null;
  private readonly limiter = new WarningLimiter((w) => this.emit('warning', w));
  private readonly localHosts: Set<string>;
  private readonly delivery: Delivery;
  private expireTimer: NodeJS.Timeout | null = null;
  private readonly dht: PeerOptions['dht'];
  private roomsLoading: Promise<Rooms> | null = null;
  private roomsHandle: Rooms | null = null;

  constructor(opts: PeerOptions) {
    super();
    this._name = opts.name;
    this._host = opts.host ?? '0.0.0.0';
    this._port = opts.port ?? 0;
    this.identity = opts.identity ?? null;
    this.classic = opts.classic ?? true;
    this.allow = opts.allow ? new Set(opts.allow.map((k) => k.toLowerCase())) : null;
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits };
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...opts.timeouts };
    this.interceptors = opts.interceptors ?? {};
    this.knownHosts = KnownHosts.open(opts.dataDir ?? null);
    this.localHosts = localAddresses();
    this.store = opts.store ?? null;
    this.dht = opts.dht;
    this.delivery = new Delivery(this.store, {
      table: this.table,
      local: () => ({ name: this._name, port: this._port }),
      connectTimeoutMs: () => this.timeouts.connect,
      report: (err, context) => this.report(err, context),
      expired: (msg, error) => {
        this.warn('ERR_MESSAGE_EXPIRED', `message ${msg.id}: ${error}`);
        this.emit('message-failed', msg, error);
      },
    });
  }

  get name(): string {
    return this._name;
  }
  get host(): string {
    return this._host;
  }
  get port(): number {
    return this._port;
  }
  get address(): string {
    const shown = this._host === '0.0.0.0' || this._host === '::' ? '127.0.0.1' : this._host;
    return formatAddress(shown, this._port);
  }
  get id(): string | null {
    return this.identity?.id ?? null;
  }
  get fingerprint(): string | null {
    return this.identity?.fingerprint ?? null;
  }

  // ---- lifecycle -------------------------------------------------------------------------------

  /** Start listening; resolves with the real port once bound. */
  listen(): Promise<ListeningInfo> {
    return new Promise((resolve, reject) => {
      const server = createServer({ noDelay: true }, (socket) => this.onInbound(socket));
      server.once('error', (err) =>
        reject(
          new PeerchatError(
            'ERR_LISTEN',
            `cannot listen on ${formatAddress(this._host, this._port)}: ${err.message}`,
            {
              cause: err,
            },
          ),
        ),
      );
      server.listen({ host: this._host, port: this._port, backlog: LISTEN_BACKLOG }, () => {
        server.removeAllListeners('error');
        server.on('error', (err) => this.warn('ERR_LISTEN', `listener error: ${err.message}`, err));
        const addr = server.address();
        if (addr && typeof addr === 'object') this._port = addr.port;
        this.server = server;
        if (this.store) {
          this.expireTimer = setInterval(() => this.delivery.expire(), EXPIRE_CHECK_MS);
          this.expireTimer.unref();
        }
        const info: ListeningInfo = { name: this._name, host: this._host, port: this._port, id: this.id };
        this.emit('listening', info);
        resolve(info);
      });
    });
  }

  /** Send EXIT to every connected peer, wait until flushed, and close everything. */
  exit(): Promise<void> {
    if (!this.closing) this.closing = this.shutdown();
    return this.closing;
  }

  get closed(): boolean {
    return this.closing !== null;
  }

  private async shutdown(): Promise<void> {
    const sessions = this.table.connected().map((r) => r.session!);
    await Promise.all(sessions.map((s) => s.exit()));
    if (this.roomsLoading) await (await this.roomsLoading.catch(() => null))?.destroy();
    for (const s of this.inbound) s.destroy();
    const server = this.server;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    if (this.expireTimer) clearInterval(this.expireTimer);
    this.knownHosts.flush();
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
    const out = this.pendingQueue;
    this.pendingQueue = [];
    // the stored queue also holds what was pending before a restart
    return this.store ? this.store.takePending().map(plain) : out;
  }
  /** Messages held so far, without clearing them. */
  peekPending(): readonly ChatMessage[] {
    return this.pendingQueue;
  }
  setChatTarget(address: string | null): void {
    this.chatTarget = address;
  }

  resolve(target: string): PeerInfo {
    return toInfo(this.resolveRecord(target));
  }

  private resolveRecord(target: string): PeerRecord {
    const t = target.trim();
    const found = this.table.resolve(t);
    if (found) return found;
    const a = parseAddress(t);
    if (!a) {
      throw new PeerchatError(
        'ERR_UNKNOWN_TARGET',
        `no known peer is called "${t}" (use "ip:port" or a peer's name)`,
      );
    }
    const address = formatAddress(a.host, a.port);
    return this.table.get(address) ?? PeerTable.blank(address, a.host, a.port);
  }

  trust(address: string, key: string): void {
    const a = toAddress(address);
    if (!/^[0-9a-f]{64}$/i.test(key)) throw new PeerchatError('ERR_USAGE', 'a key is 64 hex characters');
    this.knownHosts.trust(formatAddress(a.host, a.port), key.toLowerCase());
  }

  private isSelf(host: string, port: number): boolean {
    return port === this._port && (this.localHosts.has(host) || host === this._host);
  }

  // ---- outbound ----------------------------------------------------------------------------------

  connect(address: string, opts: ConnectOptions = {}): Promise<PeerInfo> {
    this.assertOpen();
    const a = toAddress(address);
    const key = formatAddress(a.host, a.port);
    if (this.isSelf(a.host, a.port)) {
      return Promise.reject(new PeerchatError('ERR_INVALID_ADDRESS', `${key} is this peer`));
    }
    const rec = this.table.get(key);
    if (rec?.session) return Promise.resolve(toInfo(rec));
    let p = this.dialing.get(key);
    if (!p) {
      p = this.dialOut(a.host, a.port, opts).finally(() => this.dialing.delete(key));
      this.dialing.set(key, p);
    }
    return p;
  }

  async connectAll(): Promise<PeerInfo[]> {
    const todo = this.table.all().filter((r) => !r.session && !this.isSelf(r.host, r.port));
    const results = await Promise.allSettled(todo.map((r) => this.connect(r.address)));
    const out: PeerInfo[] = [];
    results.forEach((res, i) => {
      if (res.status === 'fulfilled') out.push(res.value);
      else this.report(res.reason, `connect to ${todo[i]!.address} failed`);
    });
    return out;
  }

  private async dialOut(host: string, port: number, opts: ConnectOptions): Promise<PeerInfo> {
    const socket = await dial(host, port, this.timeouts.connect);
    const conn = new ClassicConnection(socket, { maxFrameBytes: this.limits.maxFrameBytes });
    conn.on('warning', (w) => this.limiter.report(w));
    const extra = this.identity ? [CAPABILITY] : [];
    let ack: Extract<Frame, { verb: 'ACK' }>;
    try {
      ack = await new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new PeerchatError(
                'ERR_CONNECT_TIMEOUT',
                `${formatAddress(host, port)} did not answer CONNECT within ${this.timeouts.connect} ms`,
              ),
            ),
          this.timeouts.connect,
        );
        conn.on('frame', (frame) => {
          if (frame.verb !== 'ACK') return;
          clearTimeout(timer);
          resolve(frame);
        });
        conn.once('close', () => {
          clearTimeout(timer);
          reject(
            new PeerchatError(
              'ERR_DISCONNECTED',
              `${formatAddress(host, port)} closed the connection before ACK`,
            ),
          );
        });
        conn.write(encodeFrame({ verb: 'CONNECT', name: this._name, port: this._port, extra })).catch(reject);
      });
    } catch (err) {
      socket.destroy();
      throw err;
    }
    conn.removeAllListeners('frame');
    conn.removeAllListeners('close');
    const hint = ack.extra.find((x) => x.startsWith('peerchat/'));
    if (hint && this.identity) {
      if (hint !== CAPABILITY) {
        socket.destroy();
        throw new PeerchatError(
          'ERR_PROTOCOL_VERSION',
          `${formatAddress(host, port)} speaks ${hint}; this peer speaks ${CAPABILITY}`,
        );
      }
      const leftover = conn.detach();
      return this.openNative(socket, true, leftover, { host, expectedKey: opts.key ?? null });
    }
    if (!this.classic) {
      socket.destroy();
      throw new PeerchatError(
        'ERR_CLASSIC_REFUSED',
        `${formatAddress(host, port)} speaks only classic (plaintext)`,
      );
    }
    if (opts.key) {
      socket.destroy();
      throw new PeerchatError(
        'ERR_KEY_MISMATCH',
        `${formatAddress(host, port)} has no key (classic peer), but key ${opts.key.slice(0, 16)}… was expected`,
      );
    }
    const session = new ClassicSession(conn, host, ack.port, this.classicSessionOptions());
    conn.on('frame', (frame) => this.onClassicFrame(frame, conn, session));
    return this.addSession(session, host, ack.port, ack.name, null, 'tcp');
  }

  private classicSessionOptions() {
    return {
      local: () => ({ name: this._name, port: this._port }),
      connectTimeoutMs: this.timeouts.connect,
      queryTimeoutMs: this.timeouts.query,
      maxFrameBytes: this.limits.maxFrameBytes,
    };
  }

  async send(target: string, text: string, opts: SendOptions = {}): Promise<SendResult> {
    this.assertOpen();
    if (typeof text !== 'string' || text.length === 0) {
      throw new PeerchatError('ERR_USAGE', 'send(target, text) needs a non-empty text');
    }
    let rec = this.resolveRecord(target);
    if (this.isSelf(rec.host, rec.port))
      throw new PeerchatError('ERR_INVALID_ADDRESS', `${rec.address} is this peer`);
    let session = rec.session;
    if (!session) {
      try {
        const info = await this.connect(rec.address);
        rec = this.table.get(info.address) ?? rec;
        session = rec.session;
      } catch (err) {
        const code = err instanceof PeerchatError ? err.code : null;
        const unreachable =
          code === 'ERR_PEER_UNREACHABLE' || code === 'ERR_CONNECT_TIMEOUT' || code === 'ERR_DISCONNECTED';
        // a known native peer that is away: the outbox keeps the message until it is back
        const queue = unreachable && this.store !== null && this.keyOf(rec) !== null;
        // a peer that does not answer CONNECT may still take a one-shot MESSAGE, as the original sends it
        const oneShot = this.classic && code === 'ERR_CONNECT_TIMEOUT';
        if (!queue && !oneShot) throw err;
      }
    }
    let msg: ChatMessage | null = this.outgoingMessage(rec, session, text);
    if (this.interceptors.outgoing) msg = await this.transform('outgoing', msg);
    if (!msg)
      return {
        id: '',
        to: rec.address,
        protocol: rec.protocol ?? 'classic',
        state: 'failed',
        error: 'dropped by a plugin',
      };
    const result = await this.delivery.deliver(rec, session, msg, opts);
    this.emit('sent', msg, result);
    return result;
  }

  /** The key of a native peer, from its session or from the pin of its address. */
  private keyOf(rec: PeerRecord): string | null {
    return rec.key ?? this.knownHosts.get(rec.address);
  }

  private outgoingMessage(rec: PeerRecord, session: Session | null, text: string): ChatMessage {
    const key = session ? rec.key : this.keyOf(rec);
    const native = session ? session.protocol === 'native' : this.store !== null && key !== null;
    return {
      id: uuidv7(),
      from: rec.address,
      name: rec.name,
      text,
      protocol: native ? 'native' : 'classic',
      verified: native,
      key: native ? key : null,
      fingerprint: native && key ? fingerprint(key) : null,
      ts: Date.now(),
      direction: 'out',
    };
  }

  /** Outgoing native messages not acked yet. */
  outbox(): StoredMessage[] {
    return this.delivery.outbox();
  }

  /** Queue a failed message again, and send it now if its peer is connected. */
  retry(id: string): Promise<StoredMessage> {
    return this.delivery.retry(id);
  }

  /** Remove a message from the outbox: it will not be resent. */
  drop(id: string): Promise<boolean> {
    return this.delivery.drop(id);
  }

  /** Stored messages, oldest first (see HistoryOptions). Empty without a store. */
  history(target?: string, opts: HistoryOptions = {}): StoredMessage[] {
    if (!this.store) return [];
    let peer = opts.peer;
    if (target !== undefined && target !== null) {
      const rec = this.table.resolve(String(target).trim());
      peer = rec ? rec.address : String(target).trim();
    }
    return this.store.history({ ...opts, peer });
  }

  async broadcast(text: string): Promise<SendResult[]> {
    const targets = this.table.connected();
    const results = await Promise.allSettled(targets.map((r) => this.send(r.address, text)));
    return results.map((res, i) =>
      res.status === 'fulfilled'
        ? res.value
        : {
            id: '',
            to: targets[i]!.address,
            protocol: targets[i]!.protocol ?? 'classic',
            state: 'failed' as const,
            error: errorMessage(res.reason),
          },
    );
  }

  async query(target: string): Promise<string[]> {
    this.assertOpen();
    const rec = this.resolveRecord(target);
    const entries: PeerEntry[] = rec.session
      ? await rec.session.requestPeers()
      : (await queryPeerlist(rec.host, rec.port, this.timeouts.query, this.limits.maxFrameBytes)).keys.map(
          (address) => ({
            address,
            key: null,
            name: null,
          }),
        );
    // it answered: it is a peer
    const [known, isNew] = this.table.upsert(rec.address, rec.host, rec.port);
    if (isNew) this.emit('peer-discovered', toInfo(known));
    return this.learn(entries, rec.address);
  }

  /** Add peers from an answer to the active table; returns the valid keys learned. */
  private learn(entries: PeerEntry[], from: string): string[] {
    const out: string[] = [];
    const seen = new Set<string>();
    for (const e of entries) {
      if (out.length >= this.limits.maxPeerlistKeys) {
        this.warn(
          'ERR_BAD_FRAME',
          `peer list from ${from} has more than ${this.limits.maxPeerlistKeys} keys; the rest were ignored`,
        );
        break;
      }
      const a = parseAddress(e.address);
      if (!a) continue;
      const address = formatAddress(a.host, a.port);
      if (this.isSelf(a.host, a.port) || seen.has(address)) continue;
      seen.add(address);
      out.push(address);
      const [rec, isNew] = this.table.upsert(address, a.host, a.port);
      if (!rec.name && e.name) rec.name = e.name;
      if (isNew) this.emit('peer-discovered', toInfo(rec));
    }
    return out;
  }

  // ---- inbound -----------------------------------------------------------------------------------

  private onInbound(socket: Socket): void {
    if (this.closing || this.inbound.size >= this.limits.maxInbound) {
      if (!this.closing)
        this.warn(
          'ERR_TOO_MANY_CONNECTIONS',
          `refused a connection: ${this.limits.maxInbound} inbound connections open`,
        );
      socket.destroy();
      return;
    }
    this.inbound.add(socket);
    socket.once('close', () => this.inbound.delete(socket));
    const conn = new ClassicConnection(socket, {
      maxFrameBytes: this.limits.maxFrameBytes,
      idleMs: this.timeouts.idle,
    });
    conn.on('warning', (w) => this.limiter.report(w));
    conn.on('frame', (frame) => this.onClassicFrame(frame, conn, null));
  }

  private remoteHost(conn: ClassicConnection): string {
    return normalizeHost(conn.socket.remoteAddress ?? '0.0.0.0');
  }

  /** One handler for every classic frame on every connection, as in the original. */
  private onClassicFrame(frame: Frame, conn: ClassicConnection, session: ClassicSession | null): void {
    const host = this.remoteHost(conn);
    switch (frame.verb) {
      case 'CONNECT':
        if (session) return this.warn('ERR_BAD_FRAME', `repeated CONNECT from ${host} ignored`);
        return this.onConnectFrame(frame, conn, host);
      case 'ACK':
        return this.warn('ERR_BAD_FRAME', `unexpected ACK from ${host} ignored`);
      case 'MESSAGE':
        return this.onClassicMessage(host, frame.port, frame.name, frame.text, conn);
      case 'BARE': {
        const a = parseAddress(frame.address)!;
        return this.onClassicMessage(a.host, a.port, frame.name, frame.text, conn);
      }
      case 'QUERY': {
        const keys = this.table.connected().map((r) => r.address);
        conn.write(encodeFrame({ verb: 'PEERLIST', keys, rejected: 0 })).catch(() => {});
        return;
      }
      case 'PEERLIST':
        return this.warn('ERR_UNSOLICITED_PEERLIST', `PEERLIST from ${host} without a QUERY was ignored`);
      case 'EXIT':
        return this.onClassicExit(host, frame.port, conn, session);
    }
  }

  private onConnectFrame(
    frame: Extract<Frame, { verb: 'CONNECT' }>,
    conn: ClassicConnection,
    host: string,
  ): void {
    const hint = frame.extra.find((x) => x.startsWith('peerchat/'));
    if (hint && this.identity) {
      void conn
        .write(encodeFrame({ verb: 'ACK', name: this._name, port: this._port, extra: [CAPABILITY] }))
        .catch(() => {});
      if (hint !== CAPABILITY) {
        this.warn(
          'ERR_PROTOCOL_VERSION',
          `${host}:${frame.port} speaks ${hint}; this peer speaks ${CAPABILITY}`,
        );
        conn.socket.end();
        return;
      }
      const leftover = conn.detach();
      this.openNative(conn.socket, false, leftover, { host, expectedKey: null }).catch((err) =>
        this.report(err, `native session with ${host}:${frame.port} failed`),
      );
      return;
    }
    if (!this.classic) {
      this.warn('ERR_CLASSIC_REFUSED', `refused classic peer ${host}:${frame.port} (classic is off)`);
      conn.destroy();
      return;
    }
    // a persistent connection is quiet by nature: no idle timeout from here on
    conn.socket.setTimeout(0);
    const session = new ClassicSession(conn, host, frame.port, this.classicSessionOptions());
    conn.removeAllListeners('frame');
    conn.on('frame', (f) => this.onClassicFrame(f, conn, session));
    conn
      .write(encodeFrame({ verb: 'ACK', name: this._name, port: this._port, extra: [] }))
      .then(() => this.addSession(session, host, frame.port, frame.name, null, 'tcp'))
      .catch((err) => this.report(err, `ACK to ${host}:${frame.port} failed`));
  }

  private onClassicMessage(
    host: string,
    port: number,
    name: string,
    text: string,
    conn: ClassicConnection,
  ): void {
    if (!this.classic) {
      this.warn('ERR_CLASSIC_REFUSED', `dropped a classic message from ${host}:${port} (classic is off)`);
      conn.destroy();
      return;
    }
    const address = formatAddress(host, port);
    const [rec, isNew] = this.table.upsert(address, host, port);
    if (rec.protocol !== 'native') rec.name = name;
    if (rec.protocol === null) rec.protocol = 'classic';
    if (isNew) this.emit('peer-discovered', toInfo(rec));
    const msg: ChatMessage = {
      id: uuidv7(),
      from: address,
      name,
      text,
      protocol: 'classic',
      verified: false,
      key: null,
      fingerprint: null,
      ts: Date.now(),
      direction: 'in',
    };
    void this.receive(msg);
  }

  private onClassicExit(
    host: string,
    port: number,
    conn: ClassicConnection,
    session: ClassicSession | null,
  ): void {
    const address = formatAddress(host, port);
    const rec = this.table.get(address);
    const target =
      session ??
      (rec?.session instanceof ClassicSession && rec.session.remoteHost === host ? rec.session : null);
    if (target) {
      target.remoteExit();
    } else if (rec && !rec.session) {
      this.table.delete(address);
    }
    if (conn !== target?.conn) conn.destroy();
  }

  // ---- native ------------------------------------------------------------------------------------

  private async openNative(
    transport: Socket,
    isInitiator: boolean,
    leftover: Buffer,
    ctx: { host: string; expectedKey: string | null },
  ): Promise<PeerInfo> {
    const identity = this.identity!;
    if (!isInitiator && this.unauthenticated >= this.limits.maxUnauthenticated) {
      transport.destroy();
      throw new PeerchatError(
        'ERR_TOO_MANY_CONNECTIONS',
        `refused ${ctx.host}: ${this.limits.maxUnauthenticated} handshakes already in progress`,
      );
    }
    this.unauthenticated++;
    const session = createNativeSession(transport, {
      isInitiator,
      keyPair: { publicKey: identity.publicKey, secretKey: identity.secretKey },
      hello: this.hello(),
      leftover,
      timeouts: this.timeouts,
      verifyKey: (remote) => this.verifyKey(remote, ctx.expectedKey),
    });
    session.on('warning', (w) => this.limiter.report(w));
    let hello: Hello;
    try {
      hello = await session.ready;
    } catch (err) {
      session.destroy('closed');
      throw err;
    } finally {
      this.unauthenticated--;
    }
    return this.acceptNative(session, ctx.host, hello, 'tcp');
  }

  private hello(): Hello {
    return { name: this._name, port: this._port, version: VERSION, capabilities: [CAPABILITY] };
  }

  private verifyKey(remote: string, expected: string | null): PeerchatError | null {
    if (expected && remote !== expected.toLowerCase()) {
      return new PeerchatError(
        'ERR_KEY_MISMATCH',
        `peer presented key ${fingerprint(remote)}, but ${fingerprint(expected.toLowerCase())} was expected (configured key)`,
      );
    }
    if (this.allow && !this.allow.has(remote)) {
      return new PeerchatError('ERR_NOT_ALLOWED', `peer key ${fingerprint(remote)} is not in the allow list`);
    }
    return null;
  }

  /** Pin the key of an address on first use, refuse a changed one. */
  private acceptNative(session: NativeSession, host: string, hello: Hello, via: string): PeerInfo {
    const key = session.remoteKey!;
    const address = formatAddress(host, hello.port);
    {
      const state = this.knownHosts.check(address, key);
      if (state === 'mismatch') {
        const err = new PeerchatError(
          'ERR_KEY_MISMATCH',
          `${address} now presents key ${fingerprint(key)}, but ${fingerprint(this.knownHosts.get(address)!)} is pinned. ` +
            `If the change is expected, accept it with peer.trust("${address}", "${key}") or ` +
            `\`peerchat trust ${address} ${key}\`.`,
        );
        session.destroy('closed', err);
        throw err;
      }
      if (state === 'new') this.knownHosts.pinSoon(address, key);
    }
    return this.addSession(session, host, hello.port, hello.name, key, via);
  }

  // ---- rooms -------------------------------------------------------------------------------------

  /** Join a room on the Hyperswarm DHT. The DHT code is loaded on the first join only. */
  async join(room: string, opts: { secret?: string } = {}): Promise<RoomSummary[]> {
    this.assertOpen();
    const rooms = await this.loadRooms();
    await rooms.join(room, opts);
    return rooms.rooms();
  }

  /** Send EXIT on the room's sessions, withdraw the announcement and close its connections. */
  async leave(room: string): Promise<RoomSummary[]> {
    if (!this.roomsLoading) return [];
    const rooms = await this.roomsLoading;
    const keys = rooms.keysClosedByLeave(room);
    await Promise.all(
      keys.map((k) => {
        const rec = this.table.byKey(k);
        return rec?.session && rec.via.startsWith('room') ? rec.session.exit() : undefined;
      }),
    );
    await rooms.leave(room);
    return rooms.rooms();
  }

  /** The rooms joined, with how many peers each has. */
  rooms(): RoomSummary[] {
    return this.roomsHandle?.rooms() ?? [];
  }

  /** The joined rooms in which a swarm connection with this key is live. */
  private roomsOf(key: string): string[] {
    return this.roomsHandle?.roomsOf(key) ?? [];
  }

  private loadRooms(): Promise<Rooms> {
    if (!this.identity) {
      return Promise.reject(new PeerchatError('ERR_ROOM', 'rooms need an identity (a data directory)'));
    }
    const identity = this.identity;
    this.roomsLoading ??= import('../rooms/swarm.js').then(({ Rooms }) => {
      const rooms = new Rooms({
        keyPair: { publicKey: identity.publicKey, secretKey: identity.secretKey },
        bootstrap: this.dht?.bootstrap,
        keepAliveMs: this.timeouts.keepAlive,
        sessionTimeoutMs: this.timeouts.session,
        testOnly: this.dht?.testOnly,
        onConnection: (conn, info) => this.onRoomConnection(conn, info),
      });
      rooms.on('warning', (w) => this.limiter.report(w));
      // an inbound connection learns its room after the fact when several rooms are joined
      rooms.on('peer-room', (key, room) => {
        const rec = this.table.byKey(key);
        if (rec && rec.via === 'room') rec.via = `room:${room}`;
      });
      this.roomsHandle = rooms;
      return rooms;
    });
    return this.roomsLoading;
  }

  /** A swarm connection is already an authenticated Noise stream: run the same channel on it. */
  private async onRoomConnection(
    conn: Parameters<typeof createNativeSession>[0],
    info: RoomConnectionInfo,
  ): Promise<void> {
    const identity = this.identity!;
    const session = createNativeSession(conn, {
      isInitiator: info.initiator,
      keyPair: { publicKey: identity.publicKey, secretKey: identity.secretKey },
      hello: this.hello(),
      timeouts: this.timeouts,
      verifyKey: (remote) => this.verifyKey(remote, null),
    });
    session.on('warning', (w) => this.limiter.report(w));
    const hello = await session.ready;
    const room = info.room ?? this.roomsHandle?.roomsOf(info.remoteKey)[0] ?? null;
    this.acceptNative(session, info.remoteHost ?? '127.0.0.1', hello, room ? `room:${room}` : 'room');
  }

  // ---- sessions ----------------------------------------------------------------------------------

  private addSession(
    session: Session,
    host: string,
    port: number,
    name: string,
    key: string | null,
    via: string,
  ): PeerInfo {
    const address = formatAddress(host, port);
    if (this.closing) {
      void session.exit();
      throw new PeerchatError('ERR_CLOSED', 'the peer is shutting down');
    }
    // one key is one peer: met at another address (a room, a NAT), it keeps its entry
    const known = key ? this.table.byKey(key) : undefined;
    const [rec, isNew] =
      known && known.address !== address && ((known.session && !known.session.closed) || known.grace)
        ? [known, false]
        : this.table.upsert(address, host, port);
    const old = rec.session;
    let samePeer = false;
    if (old && !old.closed) {
      if (!this.replaces(session, old, rec)) {
        session.destroy('closed');
        return toInfo(rec);
      }
      samePeer = key !== null && old.remoteKey === key;
      rec.session = null;
      old.destroy('closed');
    }
    rec.session = session;
    rec.name = name;
    rec.key = key;
    rec.fingerprint = key ? fingerprint(key) : null;
    rec.protocol = session.protocol;
    rec.via = via;
    rec.since = Date.now();
    session.on('chat', (chat, ack) => this.onChat(rec, session, chat, ack));
    session.on('peers-request', (reply) => reply(this.peerEntries(rec.address)));
    session.once('close', (reason) => this.onSessionClose(rec, session, reason));
    if (isNew) this.emit('peer-discovered', toInfo(rec));
    if (rec.grace) {
      // a replaced swarm connection: the peer never left
      clearTimeout(rec.grace);
      rec.grace = null;
    } else if (!samePeer) {
      this.emit('peer-connected', toInfo(rec));
    }
    if (this.store) {
      this.store.seenPeer({ address: rec.address, key, name }).catch((err) => this.report(err, 'store'));
      if (session.protocol === 'native') this.delivery.flush(rec, session);
    }
    return toInfo(rec);
  }

  /**
   * A second session with the same peer: the newer one wins (a restarted peer), unless both opened
   * at once from both ends; then both sides keep the one the lower key initiated.
   */
  private replaces(next: Session, old: Session, rec: PeerRecord): boolean {
    if (Date.now() - rec.since > SIMULTANEOUS_MS || !next.remoteKey || !this.identity) return true;
    const nextInitiator = (next as NativeSession).isInitiator ? this.identity.id : next.remoteKey;
    const oldInitiator = (old as NativeSession).isInitiator ? this.identity.id : old.remoteKey;
    if (nextInitiator === oldInitiator || !oldInitiator) return true;
    return nextInitiator < oldInitiator;
  }

  private peerEntries(except: string): PeerEntry[] {
    return this.table
      .connected()
      .filter((r) => r.address !== except)
      .map((r) => ({ address: r.address, key: r.key, name: r.name }));
  }

  /** Bad input that closed a session was already reported by the session as a warning. */
  private onSessionClose(rec: PeerRecord, session: Session, reason: DisconnectReason): void {
    if (rec.session !== session) return;
    rec.session = null;
    const info = toInfo(rec);
    // the original drops an exiting peer from its active peers too
    if (reason === 'exit') this.table.delete(rec.address);
    if (this.closing && reason === 'closed') return;
    const inRoom = rec.via.startsWith('room') || (rec.key !== null && this.roomsOf(rec.key).length > 0);
    if (reason === 'lost' && inRoom && !this.closing) {
      // hyperswarm replaces a connection by closing the old one first, and the remote may replace
      // our TCP session by its room one before we do: wait for the new one
      rec.grace = setTimeout(() => {
        rec.grace = null;
        if (!rec.session) this.emit('peer-disconnected', info, reason);
      }, ROOM_GRACE_MS);
      rec.grace.unref();
      return;
    }
    this.emit('peer-disconnected', info, reason);
  }

  private onChat(rec: PeerRecord, session: Session, chat: WireChat, ack: () => void): void {
    if (!this.seen.has(chat.id)) this.remember(chat.id);
    else if (!this.store) {
      ack();
      return;
    }
    // with a store, a repeat goes through receive(): it is acked only once its first copy is
    // committed, and a copy whose storing failed is stored now (the id alone proves nothing)
    const msg: ChatMessage = {
      id: chat.id,
      from: rec.address,
      name: rec.name,
      text: chat.text,
      protocol: session.protocol,
      verified: session.protocol === 'native',
      key: rec.key,
      fingerprint: rec.fingerprint,
      ts: chat.ts,
      direction: 'in',
    };
    void this.receive(msg, ack);
  }

  private remember(id: string): void {
    // not Set#values().next(): after many deletes V8 walks the deleted slots, O(n) per message
    const old = this.seenRing[this.seenNext];
    if (old !== undefined) this.seen.delete(old);
    this.seenRing[this.seenNext] = id;
    this.seenNext = (this.seenNext + 1) % SEEN_IDS;
    this.seen.add(id);
  }

  /**
   * The incoming path: de-duplicate, plugin transforms, store, then ack (a message is kept
   * before the sender may forget it), then show or hold it.
   */
  private async receive(msg: ChatMessage, ack?: () => void): Promise<void> {
    const store = this.store;
    if (store && msg.protocol === 'native' && store.get(msg.id)) {
      ack?.(); // a resend after a lost ack: already kept and shown
      return;
    }
    const out = await this.transform('incoming', msg);
    if (!out) {
      ack?.();
      return;
    }
    if (store) {
      try {
        if (!(await store.recordIncoming(out))) {
          ack?.();
          return;
        }
      } catch (err) {
        // not kept, so not acked: the sender keeps it queued and resends
        this.report(err, `could not store message ${msg.id}`);
        return;
      }
    }
    ack?.();
    if (this.chatTarget !== null && out.from !== this.chatTarget) {
      this.pendingQueue.push(out);
      if (this.pendingQueue.length > MAX_PENDING) this.pendingQueue.shift();
      store?.addPending(out.id).catch((err) => this.report(err, 'store'));
    }
    this.emit('message', out);
  }

  private async transform(dir: 'incoming' | 'outgoing', msg: ChatMessage): Promise<ChatMessage | null> {
    const fn = this.interceptors[dir];
    if (!fn) return msg;
    try {
      return await fn(msg);
    } catch (err) {
      this.report(err, `${dir} transform failed; the message was left as it was`);
      return msg;
    }
  }

  // ---- errors ------------------------------------------------------------------------------------

  private assertOpen(): void {
    if (this.closing) throw new PeerchatError('ERR_CLOSED', 'the peer is closed');
  }

  private warn(code: Code, message: string, cause?: unknown): void {
    this.limiter.report({ code, message, cause });
  }

  private report(err: unknown, context: string): void {
    const w: Warning =
      err instanceof PeerchatError
        ? { code: err.code, message: `${context}: ${err.message}`, cause: err }
        : { code: 'ERR_PEER_UNREACHABLE', message: `${context}: ${errorMessage(err)}`, cause: err };
    this.limiter.report(w);
  }

  override on<E extends keyof PeerEvents>(event: E, fn: Listener<E>): this {
    return super.on(event, fn as (...args: unknown[]) => void);
  }
  override once<E extends keyof PeerEvents>(event: E, fn: Listener<E>): this {
    return super.once(event, fn as (...args: unknown[]) => void);
  }
  override off<E extends keyof PeerEvents>(event: E, fn: Listener<E>): this {
    return super.off(event, fn as (...args: unknown[]) => void);
  }
  override emit<E extends keyof PeerEvents>(event: E, ...args: PeerEvents[E]): boolean {
    return super.emit(event, ...args);
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function localAddresses(): Set<string> {
  const out = new Set(['127.0.0.1', '0.0.0.0', '::1', '::', 'localhost']);
  for (const list of Object.values(networkInterfaces())) for (const i of list ?? []) out.add(i.address);
  return out;
}
