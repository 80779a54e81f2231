/**
 * What protomux reads, checked before protomux reads it.
 *
 * protomux drops unknown message types silently, buffers channel opens without limit, and
 * recurses into nested batches (deep enough nesting overflows the stack, and protomux rethrows
 * a RangeError into the process). This adapter sits between the secret stream and protomux,
 * walks the protomux frame headers (varints only, no copies), and stops a bad frame before
 * protomux sees it. Wire format: protomux 3 (`docs/protocol.md`).
 *
 * The message-type check is per channel: each open frame says which protocol the remote's channel
 * id speaks. `peerchat/1` (and a data frame on an id never opened) is held to our own message
 * count; other protocols get what the session's ChannelPolicy grants (the room log channels on a
 * room connection), and a protocol the session does not speak gets none: its open is tolerated
 * (a peer of another version opens its own), any message on it is refused.
 *
 * It also shows protomux users what hypercore reads from `mux.stream` (the NoiseSecretStream's
 * `opened`, `isInitiator`, `handshakeHash`, `remotePublicKey`, `rawStream`), so a room log
 * replicates over the session's own protomux.
 */
import { EventEmitter } from 'node:events';
import type NoiseSecretStream from '@hyperswarm/secret-stream';
import { PeerchatError } from '../../errors.js';

/**
 * Channels the remote may hold open at once on a session without a policy (ours is one; the rest
 * leaves room for extensions). A ChannelPolicy may grant more (room logs: one per author).
 */
export const MAX_CHANNEL_OPENS = 16;
/** Opens over the whole session, as a multiple of the live bound: open/close churn is bounded too. */
const CHURN_FACTOR = 8;

const CONTROL_BATCH = 0;
const CONTROL_OPEN = 1;
const CONTROL_CLOSE = 3;

/** Which other protocols a session carries, decided when the remote opens a channel. */
export interface ChannelPolicy {
  /**
   * Message types a remote channel of `protocol` (with its protomux `id`) may send: a count,
   * 0 for a protocol this session does not speak, or an error that fails the session. Called
   * before protomux sees the open, with the transport (its `userData` is the protomux), so the
   * owner can create the matching channel first and protomux pairs them.
   */
  messages(protocol: string, id: Uint8Array | null, transport: MuxTransport): number | PeerchatError;
  /** Channels the remote may hold open at once. */
  maxOpen(): number;
}

export interface MuxTransportOptions {
  /** Message types known on our channel; a data message with a type at or above is unknown. */
  messageCount: number;
  /** Our channel's protocol. @default 'peerchat/1' */
  protocol?: string;
  /** Called for every channel open the remote sends, before protomux handles it. */
  onOpen?: (protocol: string) => void;
  /** What other protocols the session carries (none without one). */
  channels?: ChannelPolicy | null;
}

export class MuxTransport extends EventEmitter {
  /** protomux stores itself here when it is null. */
  userData: unknown = null;
  /** Channel opens received over the session's life. */
  opens = 0;
  /** The remote's open channels: its channel id → message types allowed on it. */
  private readonly channels = new Map<number, number>();
  /** The first bad frame seen; nothing is forwarded after it. */
  violation: PeerchatError | null = null;
  private pos = 0;

  constructor(
    readonly stream: NoiseSecretStream,
    private readonly opts: MuxTransportOptions,
  ) {
    super();
    stream.on('data', (buf: Buffer) => this.onData(buf));
    stream.on('drain', () => this.emit('drain'));
    stream.on('end', () => this.emit('end'));
    stream.on('close', () => this.emit('close'));
  }

  private onData(buf: Buffer): void {
    if (this.violation) return;
    const err = this.inspect(buf);
    if (err) {
      this.violation = err;
      this.emit('violation', err);
      return;
    }
    this.emit('data', buf);
  }

  /** A coded error for a frame protomux must not see, or null. */
  inspect(buf: Uint8Array): PeerchatError | null {
    const end = buf.byteLength;
    if (end === 0) return null;
    this.pos = 0;
    const id = this.uint(buf, end);
    if (id < 0) return malformed('frame header');
    if (id !== 0) return this.data(id, buf, end);
    const type = this.uint(buf, end);
    if (type < 0) return malformed('control header');
    return type === CONTROL_BATCH ? this.batch(buf, end) : this.control(type, buf, end);
  }

  private data(id: number, buf: Uint8Array, end: number): PeerchatError | null {
    const type = this.uint(buf, end);
    if (type < 0) return malformed('message header');
    const count = this.channels.get(id) ?? this.opts.messageCount;
    if (type >= count) {
      return new PeerchatError(
        'ERR_UNKNOWN_MESSAGE',
        count === 0
          ? `a message on a channel of a protocol this session does not speak (type ${type})`
          : `unknown native message type ${type}`,
      );
    }
    return null;
  }

  private batch(buf: Uint8Array, end: number): PeerchatError | null {
    let id = this.uint(buf, end);
    if (id < 0) return malformed('batch header');
    while (this.pos < end) {
      const len = this.uint(buf, end);
      if (len < 0) return malformed('batch entry');
      if (len === 0) {
        id = this.uint(buf, end);
        if (id < 0) return malformed('batch channel');
        continue;
      }
      const subEnd = Math.min(this.pos + len, end);
      let err: PeerchatError | null;
      if (id === 0) {
        const type = this.uint(buf, subEnd);
        if (type < 0) return malformed('batched control');
        if (type === CONTROL_BATCH) return malformed('nested batch');
        err = this.control(type, buf, subEnd);
      } else {
        err = this.data(id, buf, subEnd);
      }
      if (err) return err;
      this.pos = subEnd;
    }
    return null;
  }

  private control(type: number, buf: Uint8Array, end: number): PeerchatError | null {
    if (type === CONTROL_CLOSE) {
      const id = this.uint(buf, end);
      if (id < 0) return malformed('channel close');
      this.channels.delete(id);
      return null;
    }
    if (type !== CONTROL_OPEN) return null; // a reject carries only our own id
    const id = this.uint(buf, end);
    if (id < 0) return malformed('channel open');
    const len = this.uint(buf, end);
    if (len < 0 || this.pos + len > end) return malformed('channel open');
    const protocol = Buffer.from(buf.buffer, buf.byteOffset + this.pos, len).toString('utf8');
    this.pos += len;
    const idLen = this.uint(buf, end);
    if (idLen < 0 || this.pos + idLen > end) return malformed('channel open');
    const channelId = idLen === 0 ? null : buf.subarray(this.pos, this.pos + idLen);
    this.pos += idLen;
    const policy = this.opts.channels ?? null;
    const max = Math.max(MAX_CHANNEL_OPENS, policy?.maxOpen() ?? 0);
    // an id the remote reuses (after a reject) replaces its entry; ids are bounded by `max`
    this.channels.delete(id);
    if (++this.opens > max * CHURN_FACTOR || this.channels.size + 1 > max) {
      return new PeerchatError('ERR_CHANNEL_FLOOD', `more than ${max} channel opens on one session`);
    }
    let count: number | PeerchatError = this.opts.messageCount;
    if (protocol !== (this.opts.protocol ?? 'peerchat/1'))
      count = policy?.messages(protocol, channelId, this) ?? 0;
    if (typeof count !== 'number') return count;
    this.channels.set(id, count);
    this.opts.onOpen?.(protocol);
    return null;
  }

  /** A compact-encoding uint at this.pos, or -1 when it runs past `end`. */
  private uint(buf: Uint8Array, end: number): number {
    const p = this.pos;
    if (p >= end) return -1;
    const a = buf[p] as number;
    if (a < 0xfd) {
      this.pos = p + 1;
      return a;
    }
    const n = a === 0xfd ? 2 : a === 0xfe ? 4 : 8;
    if (p + 1 + n > end) return -1;
    let v = 0;
    for (let i = n; i >= 1; i--) v = v * 256 + (buf[p + i] as number);
    this.pos = p + 1 + n;
    return v;
  }

  write(data: Buffer): boolean {
    return this.stream.write(data);
  }

  end(): this {
    this.stream.end();
    return this;
  }

  destroy(err?: Error): void {
    this.stream.destroy(err);
  }

  pause(): this {
    this.stream.pause();
    return this;
  }

  resume(): this {
    this.stream.resume();
    return this;
  }

  alloc(len: number): Buffer {
    return this.stream.alloc(len);
  }

  get destroyed(): boolean {
    return this.stream.destroyed;
  }

  // what hypercore reads from `mux.stream`, from the NoiseSecretStream underneath
  get opened(): Promise<boolean> {
    return this.stream.opened;
  }
  get isInitiator(): boolean {
    return this.stream.isInitiator;
  }
  get handshakeHash(): Buffer | null {
    return this.stream.handshakeHash;
  }
  get remotePublicKey(): Buffer | null {
    return this.stream.remotePublicKey;
  }
  get rawStream(): unknown {
    return this.stream.rawStream;
  }
  get noiseStream(): NoiseSecretStream {
    return this.stream;
  }
}

function malformed(where: string): PeerchatError {
  return new PeerchatError('ERR_BAD_FRAME', `malformed native frame (${where})`);
}
