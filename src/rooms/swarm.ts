/**
 * Rooms on the Hyperswarm DHT. This module finds peers by room and hands each authenticated swarm
 * connection (a NoiseSecretStream) to a callback; it knows nothing about chat.
 *
 * hyperswarm and hyperdht are loaded on the first join only, in dht.ts (dynamic import), so a peer
 * that never joins a room loads no DHT code and sends nothing to the DHT. Keep every import of them
 * here type-only. Which rooms explain a connection: membership.ts.
 */
import { EventEmitter } from 'node:events';
import type NoiseSecretStream from '@hyperswarm/secret-stream';
import type Hyperswarm from 'hyperswarm';
import { PeerchatError, type Warning } from '../errors.js';
import { type BootstrapNode, resolveBootstrap } from './bootstrap.js';
import { startSwarm, withDeadline } from './dht.js';
import { keysClosedByLeave, type Room, roomsOf, type Tracked, topicRooms } from './membership.js';
import { checkRoomName, roomTopic } from './topic.js';

/** A connection whose channel has not opened by then is one-sided (dht-notes.md) and is destroyed. */
const WATCHDOG_MS = 1000;
/** Keepalive and silence timeout on swarm connections: a killed peer is lost within ~6 s. */
const KEEPALIVE_MS = 2000;
const SESSION_TIMEOUT_MS = 6000;
/** Withdrawing announcements on leave/destroy waits at most this long for the DHT. */
const STOP_TIMEOUT_MS = 5000;
/** An inbound connection no room explains triggers lookups of the joined rooms after this. */
const RESOLVE_DELAY_MS = 50;
/** The error message hyperswarm destroys a superseded connection with. */
const HYPERSWARM_DUPLICATE = 'Duplicate connection';

export interface RoomConnectionInfo {
  /**
   * The room this connection was found through, when known. An inbound connection while several
   * rooms are joined may not say which room it is for: then null (see `roomsOf`).
   */
  room: string | null;
  /** Hex public key of the remote, authenticated by the Noise handshake. */
  remoteKey: string;
  /** Remote UDP address as seen by the swarm, when known. */
  remoteHost: string | null;
  /** True when we dialled. */
  initiator: boolean;
}

/**
 * Called once per swarm connection. Return nothing and call `rooms.markOpen(conn)` once the
 * channel opened, or return a promise (e.g. the session's `ready`): it resolving marks the
 * connection open, it rejecting destroys the connection.
 */
export type OnRoomConnection = (conn: NoiseSecretStream, info: RoomConnectionInfo) => unknown;

export interface RoomsOptions {
  /** The peer's own Ed25519 key pair: one identity over TCP and in rooms. */
  keyPair: { publicKey: Buffer; secretKey: Buffer };
  /** Config `dht.bootstrap`: "public" or a list of "host:port". Checked on the first join. */
  bootstrap: unknown;
  onConnection: OnRoomConnection;
  /** @default 1000 */
  watchdogMs?: number;
  /** @default 2000 */
  keepAliveMs?: number;
  /** @default 6000 */
  sessionTimeoutMs?: number;
  /** For loopback tests only; never fed from user config. */
  testOnly?: { firewalled?: false };
}

export interface RoomSummary {
  name: string;
  secret: boolean;
  /** Connections in this room whose channel is open. */
  peers: number;
}

export interface RoomsEvents {
  /** A connection's channel did not open in time; it was destroyed (hyperswarm retries). */
  watchdog: [remoteKey: string];
  /** A newer connection from the same key replaced an older one, which was destroyed. */
  replaced: [remoteKey: string];
  /** A room became known for a connection that arrived without one (several rooms joined). */
  'peer-room': [remoteKey: string, room: string];
  warning: [warning: Warning];
}

export class Rooms extends EventEmitter<RoomsEvents> {
  readonly #opts: RoomsOptions;
  readonly #watchdogMs: number;
  readonly #keepAliveMs: number;
  readonly #sessionTimeoutMs: number;
  #swarm: Hyperswarm | null = null;
  #starting: Promise<Hyperswarm> | null = null;
  readonly #rooms = new Map<string, Room>();
  /** One live connection per remote key. */
  readonly #byKey = new Map<string, Tracked>();
  readonly #byConn = new WeakMap<NoiseSecretStream, Tracked>();
  /** Keys whose connections a leave closed: their redials are refused until the next join. */
  readonly #leftKeys = new Set<string>();
  #closed = false;
  #resolving = false;
  #resolveAgain = false;

  constructor(opts: RoomsOptions) {
    super();
    if (typeof opts.onConnection !== 'function') throw new TypeError('onConnection must be a function');
    this.#opts = opts;
    this.#watchdogMs = opts.watchdogMs ?? WATCHDOG_MS;
    this.#keepAliveMs = opts.keepAliveMs ?? KEEPALIVE_MS;
    this.#sessionTimeoutMs = opts.sessionTimeoutMs ?? SESSION_TIMEOUT_MS;
  }

  /**
   * Announce in a room and look for its peers. Resolves once our announcement is stored and a
   * fresh lookup has run. Joining a room already joined (same secret) is a no-op.
   */
  async join(name: string, opts: { secret?: string } = {}): Promise<void> {
    if (this.#closed) throw new PeerchatError('ERR_CLOSED', 'rooms are closed');
    const room = checkRoomName(name);
    const bootstrap = resolveBootstrap(this.#opts.bootstrap);
    const topic = roomTopic(room, opts.secret);
    const topicHex = topic.toString('hex');
    const existing = this.#rooms.get(room);
    if (existing) {
      if (existing.topicHex === topicHex) return existing.joined;
      throw new PeerchatError(
        'ERR_ROOM',
        `room "${room}" is already joined with another secret; leave it first`,
      );
    }
    const entry: Room = {
      name: room,
      secret: opts.secret !== undefined,
      topicHex,
      discovery: null,
      joined: Promise.resolve(),
    };
    this.#rooms.set(room, entry);
    this.#leftKeys.clear();
    entry.joined = this.#announce(entry, topic, bootstrap);
    return entry.joined;
  }

  async #announce(entry: Room, topic: Buffer, bootstrap: BootstrapNode[] | 'public'): Promise<void> {
    const left = (): boolean => this.#rooms.get(entry.name) !== entry;
    try {
      const swarm = await this.#ensureSwarm(bootstrap);
      if (left()) throw new Error('the room was left before the join finished');
      const discovery = swarm.join(topic, { server: true, client: true });
      entry.discovery = discovery;
      // the join race: an announcement is stored only when its query ends, so look again after it
      await discovery.flushed();
      if (left()) throw new Error('the room was left before the join finished');
      await discovery.refresh({ server: true, client: true });
    } catch (err) {
      if (!left()) {
        this.#rooms.delete(entry.name);
        await this.#withdraw(entry);
        if (this.#rooms.size === 0) await this.#stopSwarm();
      }
      if (err instanceof PeerchatError) throw err;
      throw new PeerchatError('ERR_ROOM', `could not join room "${entry.name}": ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  /**
   * Withdraw our announcement and close the connections that only this room explains. Send EXIT
   * on the sessions of `keysClosedByLeave(room)` before calling this. Leaving the last room stops
   * the DHT node altogether.
   */
  async leave(name: string): Promise<void> {
    const room = checkRoomName(name);
    const entry = this.#rooms.get(room);
    if (!entry) return;
    const closing = this.keysClosedByLeave(room);
    this.#rooms.delete(room);
    for (const key of closing) this.#leftKeys.add(key);
    await this.#withdraw(entry);
    for (const key of closing) this.#byKey.get(key)?.conn.destroy();
    if (this.#rooms.size === 0) await this.#stopSwarm();
  }

  rooms(): RoomSummary[] {
    return [...this.#rooms.values()].map((r) => ({
      name: r.name,
      secret: r.secret,
      peers: [...this.#byKey.values()].filter((t) => t.opened && roomsOf(this.#rooms, t).includes(r.name))
        .length,
    }));
  }

  /** Remote keys of the live connections associated with a room. */
  peers(name: string): string[] {
    const room = checkRoomName(name);
    return [...this.#byKey.values()].filter((t) => roomsOf(this.#rooms, t).includes(room)).map((t) => t.key);
  }

  /** The joined rooms a remote key is known in (empty when unknown or not connected). */
  roomsOf(remoteKey: string): string[] {
    const t = this.#byKey.get(remoteKey);
    return t ? roomsOf(this.#rooms, t) : [];
  }

  /** The remote keys whose connections `leave(room)` will close: those no other joined room explains. */
  keysClosedByLeave(name: string): string[] {
    return keysClosedByLeave(this.#rooms, this.#byKey.values(), checkRoomName(name));
  }

  /** Tell the watchdog that this connection's channel opened. */
  markOpen(conn: NoiseSecretStream): void {
    const t = this.#byConn.get(conn);
    if (!t || t.opened) return;
    t.opened = true;
    if (t.watchdog) clearTimeout(t.watchdog);
    t.watchdog = null;
  }

  /** True when a DHT node is running (at least one room joined or joining). */
  get active(): boolean {
    return this.#starting !== null;
  }

  /** Withdraw every announcement, close every swarm connection and stop the DHT node. */
  async destroy(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const entries = [...this.#rooms.values()];
    this.#rooms.clear();
    await Promise.all(entries.map((e) => this.#withdraw(e)));
    await this.#stopSwarm();
  }

  #ensureSwarm(bootstrap: BootstrapNode[] | 'public'): Promise<Hyperswarm> {
    if (!this.#starting) {
      const starting = startSwarm({
        bootstrap,
        keyPair: this.#opts.keyPair,
        testOnly: this.#opts.testOnly,
        onConnection: (swarm, conn, info) => this.#onConnection(swarm, conn, info),
      });
      this.#starting = starting;
      starting.then(
        (swarm) => {
          if (this.#starting === starting) this.#swarm = swarm;
        },
        () => {
          if (this.#starting === starting) this.#starting = null;
        },
      );
    }
    return this.#starting;
  }

  async #stopSwarm(): Promise<void> {
    const starting = this.#starting;
    this.#starting = null;
    this.#swarm = null;
    for (const t of [...this.#byKey.values()]) t.conn.destroy();
    const swarm = starting ? await starting.catch(() => null) : null;
    if (!swarm) return;
    if (!(await withDeadline(swarm.destroy(), STOP_TIMEOUT_MS))) {
      this.#warn('ERR_ROOM', `the DHT did not stop within ${STOP_TIMEOUT_MS} ms; forcing it`);
      await swarm.destroy({ force: true }).catch(() => {});
    }
  }

  async #withdraw(entry: Room): Promise<void> {
    const d = entry.discovery;
    entry.discovery = null;
    if (!d) return;
    const done = await withDeadline(
      d.destroy().catch((err: unknown) => this.#warn('ERR_ROOM', `leaving room "${entry.name}" failed`, err)),
      STOP_TIMEOUT_MS,
    );
    if (!done) this.#warn('ERR_ROOM', `withdrawing room "${entry.name}" from the DHT timed out`);
  }

  #onConnection(swarm: Hyperswarm, conn: NoiseSecretStream, peerInfo: Hyperswarm.PeerInfo): void {
    // a stream error must never reach the process; the close that follows is what counts
    let lastError: Error | null = null;
    conn.on('error', (err: Error) => {
      lastError = err;
    });
    const key = conn.remotePublicKey?.toString('hex');
    if (!key || this.#closed || swarm !== this.#swarm || this.#rooms.size === 0) {
      conn.destroy();
      return;
    }
    const known = topicRooms(this.#rooms, peerInfo);
    if (known.length === 0 && this.#leftKeys.has(key)) {
      conn.destroy(); // a peer of a room we left, redialling
      return;
    }
    const room = known[0] ?? (this.#rooms.size === 1 ? [...this.#rooms.keys()][0]! : null);

    const old = this.#byKey.get(key);
    if (old && old.conn !== conn) {
      this.#byKey.delete(key);
      this.emit('replaced', key);
      old.conn.destroy(new PeerchatError('ERR_ROOM_REPLACED'));
    }
    const t: Tracked = { conn, key, peerInfo, room, rooms: new Set(), opened: false, watchdog: null };
    this.#byKey.set(key, t);
    this.#byConn.set(conn, t);
    conn.setKeepAlive(this.#keepAliveMs);
    conn.setTimeout(this.#sessionTimeoutMs);
    t.watchdog = setTimeout(() => {
      t.watchdog = null;
      if (t.opened || conn.destroyed) return;
      this.emit('watchdog', key);
      conn.destroy(
        new PeerchatError('ERR_ROOM_CHANNEL_TIMEOUT', `no channel opened within ${this.#watchdogMs} ms`),
      );
    }, this.#watchdogMs);
    conn.once('close', () => {
      if (t.watchdog) clearTimeout(t.watchdog);
      t.watchdog = null;
      if (this.#byKey.get(key) === t) this.#byKey.delete(key);
      // hyperswarm closes the older of two connections to one key itself, before handing us the new one
      if ((lastError as Error | null)?.message === HYPERSWARM_DUPLICATE) this.emit('replaced', key);
    });

    // over hyperdht the raw stream is a UDX stream, which knows the remote address
    if (room === null) this.#scheduleResolve(swarm);
    const rawHost: unknown = conn.rawStream?.remoteHost;
    const info: RoomConnectionInfo = {
      room,
      remoteKey: key,
      remoteHost: typeof rawHost === 'string' ? rawHost : null,
      initiator: conn.isInitiator,
    };
    let result: unknown;
    try {
      result = this.#opts.onConnection(conn, info);
    } catch (err) {
      this.#warn('ERR_ROOM', `the room connection handler failed for ${key.slice(0, 8)}`, err);
      conn.destroy();
      return;
    }
    if (isPromiseLike(result)) {
      result.then(
        () => this.markOpen(conn),
        (err: unknown) => {
          if (!conn.destroyed) conn.destroy(err instanceof Error ? err : undefined);
        },
      );
    }
  }

  /**
   * An inbound connection does not say which topic it is for, and our last lookup may predate the
   * peer's announcement (the join race). Look the joined rooms up again to learn it.
   */
  #scheduleResolve(swarm: Hyperswarm): void {
    if (this.#resolving) {
      this.#resolveAgain = true;
      return;
    }
    this.#resolving = true;
    setTimeout(() => {
      this.#resolveRooms(swarm)
        .catch((err: unknown) => {
          if (swarm === this.#swarm)
            this.#warn('ERR_ROOM', 'looking up the rooms of a connection failed', err);
        })
        .finally(() => {
          this.#resolving = false;
        });
    }, RESOLVE_DELAY_MS);
  }

  async #resolveRooms(swarm: Hyperswarm): Promise<void> {
    do {
      this.#resolveAgain = false;
      for (const r of [...this.#rooms.values()]) {
        if (swarm !== this.#swarm || swarm.dht.destroyed) return;
        if (![...this.#byKey.values()].some((t) => roomsOf(this.#rooms, t).length === 0)) return;
        for await (const reply of swarm.dht.lookup(Buffer.from(r.topicHex, 'hex'))) {
          for (const p of reply.peers) {
            const t = this.#byKey.get(p.publicKey.toString('hex'));
            if (!t || this.#rooms.get(r.name) !== r || roomsOf(this.#rooms, t).includes(r.name)) continue;
            t.rooms.add(r.name);
            this.emit('peer-room', t.key, r.name);
          }
        }
      }
    } while (this.#resolveAgain);
  }

  #warn(code: Warning['code'], message: string, cause?: unknown): void {
    this.emit('warning', cause === undefined ? { code, message } : { code, message, cause });
  }
}

function isPromiseLike(v: unknown): v is PromiseLike<unknown> {
  return v !== null && typeof v === 'object' && typeof (v as { then?: unknown }).then === 'function';
}
