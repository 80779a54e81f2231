/**
 * Rooms on the Hyperswarm DHT, seen from the Peer: load the swarm code on the first join, run the
 * native channel on each swarm connection, and leave with EXIT. rooms/swarm.ts knows nothing of chat.
 */
import { PeerchatError } from '../errors.js';
import type { ChannelPolicy } from '../net/native/mux-transport.js';
import { createNativeSession, type NativeSession } from '../net/native/session.js';
import type { Hello } from '../net/session.js';
import type { Opened } from '../net/upgrade.js';
import type { RoomConnectionInfo, RoomSummary, Rooms } from '../rooms/swarm.js';
import type { Identity } from '../types.js';
import type { PeerCore } from './core.js';
import type { PeerOptions } from './options.js';
import { isRoomVia } from './table.js';

export interface PeerRoomsOptions {
  identity: Identity | null;
  dht: PeerOptions['dht'];
  hello(): Hello;
  verifyKey(remote: string): PeerchatError | null;
  /** Pin the key and attach the session (throws when refused). */
  adopt(o: Opened): unknown;
  /** The room logs: their channels on a room connection, replicated once the session is attached. */
  logs?: { policy(): ChannelPolicy; attach(session: NativeSession): void };
}

export class PeerRooms {
  private loading: Promise<Rooms> | null = null;
  private handle: Rooms | null = null;

  constructor(
    private readonly core: PeerCore,
    private readonly opts: PeerRoomsOptions,
  ) {}

  /** Join a room. The DHT code is loaded on the first join only. */
  async join(room: string, opts: { secret?: string } = {}): Promise<RoomSummary[]> {
    const rooms = await this.load();
    await rooms.join(room, opts);
    return rooms.rooms();
  }

  /** Send EXIT on the room's sessions, withdraw the announcement and close its connections. */
  async leave(room: string): Promise<RoomSummary[]> {
    if (!this.loading) return [];
    const rooms = await this.loading;
    const keys = rooms.keysClosedByLeave(room);
    await Promise.all(
      keys.map((k) => {
        const rec = this.core.table.byKey(k);
        return rec?.session && isRoomVia(rec.via) ? rec.session.exit() : undefined;
      }),
    );
    await rooms.leave(room);
    return rooms.rooms();
  }

  rooms(): RoomSummary[] {
    return this.handle?.rooms() ?? [];
  }

  /** The joined rooms in which a swarm connection with this key is live. */
  roomsOf(key: string): string[] {
    return this.handle?.roomsOf(key) ?? [];
  }

  async destroy(): Promise<void> {
    if (this.loading) await (await this.loading.catch(() => null))?.destroy();
  }

  private load(): Promise<Rooms> {
    const { identity, dht } = this.opts;
    if (!identity) {
      return Promise.reject(new PeerchatError('ERR_ROOM', 'rooms need an identity (a data directory)'));
    }
    const { timeouts, warnings, table } = this.core;
    this.loading ??= import('../rooms/swarm.js').then(({ Rooms }) => {
      const rooms = new Rooms({
        keyPair: { publicKey: identity.publicKey, secretKey: identity.secretKey },
        bootstrap: dht?.bootstrap,
        keepAliveMs: timeouts.keepAlive,
        sessionTimeoutMs: timeouts.session,
        testOnly: dht?.testOnly,
        onConnection: (conn, info) => this.onConnection(conn, info),
      });
      rooms.on('warning', warnings.sink);
      // an inbound connection learns its room after the fact when several rooms are joined
      rooms.on('peer-room', (key, room) => {
        const rec = table.byKey(key);
        if (rec && rec.via === 'room') rec.via = `room:${room}`;
      });
      this.handle = rooms;
      return rooms;
    });
    return this.loading;
  }

  /** A swarm connection is already an authenticated Noise stream: run the same channel on it. */
  private async onConnection(
    conn: Parameters<typeof createNativeSession>[0],
    info: RoomConnectionInfo,
  ): Promise<void> {
    if (!info.remoteHost) {
      // without the address captured when it connected, it would be recorded as a local peer
      this.core.warnings.warn('ERR_DISCONNECTED', 'closed a room connection that has no remote address');
      conn.destroy();
      return;
    }
    const remoteHost = info.remoteHost;
    const identity = this.opts.identity!;
    const session = createNativeSession(conn, {
      isInitiator: info.initiator,
      keyPair: { publicKey: identity.publicKey, secretKey: identity.secretKey },
      hello: this.opts.hello(),
      timeouts: this.core.timeouts,
      verifyKey: (remote) => this.opts.verifyKey(remote),
      channels: this.opts.logs?.policy() ?? null,
    });
    session.on('warning', this.core.warnings.sink);
    const hello = await session.ready;
    const room = info.room ?? this.handle?.roomsOf(info.remoteKey)[0] ?? null;
    this.opts.adopt({
      session,
      host: remoteHost,
      port: hello.port,
      name: hello.name,
      key: session.remoteKey,
      via: room ? `room:${room}` : 'room',
    });
    this.opts.logs?.attach(session);
  }
}
