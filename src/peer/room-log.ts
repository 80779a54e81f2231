/**
 * Group rooms with shared history, seen from the Peer: one RoomLog per joined room (src/rooms/log),
 * replicated over the room connections' own protomux. An entry becomes a `message` with `room` and
 * `late`, goes to the SQLite history with its room, and is held to the per-sender rate. See
 * docs/rooms.md ("Shared history").
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type Protomux from 'protomux';
import { PeerchatError } from '../errors.js';
import { fingerprint } from '../net/native/identity.js';
import type { NativeSession } from '../net/native/session.js';
import {
  announceChannelId,
  MAX_ROOM_OFFERS,
  RoomChannels,
  type RoomEntry,
  RoomLog,
  type RoomLogWarning,
  type RoomMember,
  roomLogDir,
  roomLogEncryptionKey,
} from '../rooms/log/index.js';
import { checkRoomName, roomTopic } from '../rooms/topic.js';
import type { ChatMessage } from '../types.js';
import type { SayResult } from './api.js';
import type { PeerCore } from './core.js';
import { SenderRates } from './rate.js';

/** How often the room connections are checked for rooms they carry now (a room joined later). */
const SYNC_MS = 2000;

export interface RoomLogsOptions {
  /** `<dataDir>/rooms/<topic hex>` holds each room's log. Null: no room logs (no identity). */
  dataDir: string | null;
  /** Entries kept per room (config `history.roomMaxEntries`). */
  maxEntries?: number;
  /** The joined rooms in which a swarm connection with this key is live. */
  roomsOf(key: string): string[];
  /** The plugins' incoming transform; null drops the message. */
  transform(msg: ChatMessage): Promise<ChatMessage | null>;
}

interface OpenRoom {
  name: string;
  topicHex: string;
  announceHex: string;
  opening: Promise<RoomLog>;
  log: RoomLog | null;
}

export class RoomLogs {
  private readonly open = new Map<string, OpenRoom>();
  private readonly announceIds = new Set<string>();
  /** Room sessions (created with a RoomChannels policy), by their protomux. */
  private readonly sessions = new Map<Protomux, NativeSession>();
  /** Rooms offered on a connection the swarm has not linked them to (bounded: MAX_ROOM_OFFERS). */
  private readonly offers = new WeakMap<Protomux, number>();
  private readonly rates: SenderRates;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly core: PeerCore,
    private readonly opts: RoomLogsOptions,
  ) {
    this.rates = new SenderRates(core.limits.messagesPerSecond, core.limits.bytesPerSecond);
  }

  /** The channel policy of a new room connection: the room log channels of the rooms joined. */
  policy(): RoomChannels {
    return new RoomChannels(
      (hex) => this.announceIds.has(hex),
      (hex, transport) => {
        // the remote opens a joined room's channel: open ours first, so protomux pairs them
        const r = [...this.open.values()].find((o) => o.announceHex === hex);
        if (r?.log && transport.userData) r.log.replicate(transport.userData as Protomux);
      },
    );
  }

  /** Open the room's log, then join the swarm (`swarmJoin`); a failed join closes the log again. */
  async join<T>(room: string, secret: string | undefined, swarmJoin: () => Promise<T>): Promise<T> {
    const name = checkRoomName(room);
    const existing = this.open.get(name);
    const fresh = !existing;
    if (fresh) this.start(name, secret);
    try {
      await this.open.get(name)?.opening;
      const out = await swarmJoin();
      this.sync();
      return out;
    } catch (err) {
      if (fresh) await this.stop(name, false).catch(() => {});
      throw err;
    }
  }

  /** Stop replicating the room (before the swarm leaves it); `forget` deletes its local data. */
  async leave(room: string, forget: boolean): Promise<void> {
    const name = checkRoomName(room);
    if (this.open.has(name)) return this.stop(name, forget);
    // not joined now: forget what an earlier run kept of the open room of that name
    if (forget && this.opts.dataDir)
      await rm(roomLogDir(this.opts.dataDir, roomTopic(name)), { recursive: true, force: true });
  }

  /** A room connection's session is attached: replicate the rooms it carries on its protomux. */
  attach(session: NativeSession): void {
    if (!session.mux || session.closed) return;
    this.sessions.set(session.mux, session);
    const mux = session.mux;
    session.once('close', () => this.sessions.delete(mux));
    this.replicateOn(session);
    if (!this.timer && !this.closed) {
      this.timer = setInterval(() => this.sync(), SYNC_MS);
      this.timer.unref();
    }
  }

  /** Say `text` in the room: resolves once it is appended to this member's log. */
  async say(room: string, text: string): Promise<SayResult> {
    const name = checkRoomName(room);
    if (typeof text !== 'string') throw new PeerchatError('ERR_USAGE', 'say(room, text): text is a string');
    const log = await this.logOf(name);
    const entry = await log.append(text, { name: this.core.local().name });
    const msg = this.toMessage(name, entry);
    await this.record(msg);
    this.core.emit('sent', msg, { id: entry.id, to: `room:${name}`, protocol: 'native', state: 'sent' });
    return { id: entry.id, room: name, ts: entry.ts, holders: 1 + log.holders(entry) };
  }

  /** Every member known to the room, online or not. */
  members(room: string): RoomMember[] {
    const r = this.open.get(checkRoomName(room));
    if (!r?.log) throw notJoined(room);
    return r.log.members();
  }

  async destroy(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await Promise.all([...this.open.keys()].map((n) => this.stop(n, false)));
  }

  // ---- internals

  private start(name: string, secret: string | undefined): void {
    const { dataDir, maxEntries } = this.opts;
    if (!dataDir) throw new PeerchatError('ERR_ROOM', 'room history needs a data directory');
    const topic = roomTopic(name, secret);
    const encryptionKey = secret === undefined ? null : roomLogEncryptionKey(name, secret);
    const announceHex = announceChannelId(topic).toString('hex');
    const r: OpenRoom = {
      name,
      topicHex: topic.toString('hex'),
      announceHex,
      log: null,
      opening: RoomLog.open({ dataDir: path.resolve(dataDir), topic, encryptionKey, maxEntries }),
    };
    this.open.set(name, r);
    this.announceIds.add(announceHex);
    r.opening.then(
      (log) => {
        if (this.open.get(name) !== r) return;
        r.log = log;
        log.on('entry', (e: RoomEntry) => {
          if (!e.local) void this.onEntry(name, e);
        });
        log.on('warning', (w: RoomLogWarning) => this.onWarning(name, w));
        this.sync();
        void this.backfill(name, log);
      },
      () => {},
    );
  }

  private async stop(name: string, forget: boolean): Promise<void> {
    const r = this.open.get(name);
    if (!r) return;
    this.open.delete(name);
    this.announceIds.delete(r.announceHex);
    const log = await r.opening.catch(() => null);
    if (log) await (forget ? log.forget() : log.close());
  }

  private async logOf(name: string): Promise<RoomLog> {
    const r = this.open.get(name);
    if (!r) throw notJoined(name);
    return r.opening;
  }

  /**
   * Replicate every open room this session's connection carries, and offer the other joined rooms
   * on it once: the remote may be in them too (one connection per peer serves all shared rooms).
   */
  private replicateOn(session: NativeSession): void {
    if (session.closed || !session.mux || !session.remoteKey) return;
    const mux = session.mux;
    const carried = new Set(this.opts.roomsOf(session.remoteKey));
    for (const r of this.open.values()) {
      if (!r.log) continue;
      if (carried.has(r.name)) r.log.replicate(mux);
      else if ((this.offers.get(mux) ?? 0) < MAX_ROOM_OFFERS && r.log.offer(mux))
        this.offers.set(mux, (this.offers.get(mux) ?? 0) + 1);
    }
  }

  private sync(): void {
    for (const s of this.sessions.values()) this.replicateOn(s);
  }

  private async onEntry(room: string, e: RoomEntry): Promise<void> {
    const { warnings } = this.core;
    // live input is held to the sender's rate; catch-up is bounded by retention instead
    if (!e.late && !this.rates.take(e.author, Buffer.byteLength(e.text))) {
      warnings.warn(
        'ERR_RATE_LIMITED',
        `room ${room}: a message of author ${e.author.slice(0, 16)} over ${this.core.limits.messagesPerSecond} ` +
          `messages or ${this.core.limits.bytesPerSecond} bytes a second was not shown (it stays in the room log)`,
      );
      return;
    }
    const out = await this.opts.transform(this.toMessage(room, e));
    if (!out || this.closed) return;
    if (!(await this.record(out))) return;
    this.core.emit('message', out);
  }

  /**
   * What the log holds goes to the history too (already stored rows are kept as they are): a
   * crash between a block's write and its history row leaves no gap.
   */
  private async backfill(name: string, log: RoomLog): Promise<void> {
    if (!this.core.store) return;
    try {
      const all = await log.entries();
      await Promise.all(all.map((e) => this.record(this.toMessage(name, e))));
    } catch (err) {
      if (!this.closed && this.open.has(name)) this.core.warnings.fail(err, `room ${name}: history backfill`);
    }
  }

  /** Store the message with its room; false when it was stored before. */
  private async record(msg: ChatMessage): Promise<boolean> {
    const { store, warnings } = this.core;
    if (!store) return true;
    try {
      return await store.recordRoom(msg);
    } catch (err) {
      warnings.fail(err, `could not store room message ${msg.id}`);
      return true; // still shown: the room log holds it
    }
  }

  private onWarning(room: string, w: RoomLogWarning): void {
    const message = `room ${room}: ${w.message}`;
    this.core.warnings.sink({ code: w.code, message });
    const session = w.mux ? this.sessions.get(w.mux) : undefined;
    // bad input from that connection (a block that fails its signature, a bad announce)
    if (session && !session.closed) session.destroy('lost', new PeerchatError(w.code, message));
  }

  private toMessage(room: string, e: RoomEntry): ChatMessage {
    return {
      id: e.id,
      from: `room:${room}`,
      name: e.name,
      text: e.text,
      protocol: 'native',
      verified: true, // signed by the author's log key
      key: e.author,
      fingerprint: fingerprint(e.author),
      ts: e.ts,
      direction: e.local ? 'out' : 'in',
      room,
      late: e.late,
    };
  }
}

function notJoined(room: string): PeerchatError {
  return new PeerchatError('ERR_ROOM', `room "${room}" is not joined; join it first`);
}
