/**
 * What protomux reads, checked before protomux reads it.
 *
 * protomux drops unknown message types silently, buffers channel opens without limit, and
 * recurses into nested batches (deep enough nesting overflows the stack, and protomux rethrows
 * a RangeError into the process). This adapter sits between the secret stream and protomux,
 * walks the protomux frame headers (varints only, no copies), and stops a bad frame before
 * protomux sees it. Wire format: protomux 3 (`docs/protocol.md`).
 */
import { EventEmitter } from 'node:events';
import type NoiseSecretStream from '@hyperswarm/secret-stream';
import { PeerchatError } from '../../errors.js';

/** Channel opens one session may receive (ours is one; the rest leaves room for extensions). */
export const MAX_CHANNEL_OPENS = 16;

const CONTROL_BATCH = 0;
const CONTROL_OPEN = 1;

export interface MuxTransportOptions {
  /** Message types known on our channel; a data message with a type at or above is unknown. */
  messageCount: number;
  /** Called for every channel open the remote sends, before protomux handles it. */
  onOpen?: (protocol: string) => void;
}

export class MuxTransport extends EventEmitter {
  /** protomux stores itself here when it is null. */
  userData: unknown = null;
  opens = 0;
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
    if (id !== 0) return this.data(buf, end);
    const type = this.uint(buf, end);
    if (type < 0) return malformed('control header');
    return type === CONTROL_BATCH ? this.batch(buf, end) : this.control(type, buf, end);
  }

  private data(buf: Uint8Array, end: number): PeerchatError | null {
    const type = this.uint(buf, end);
    if (type < 0) return malformed('message header');
    if (type >= this.opts.messageCount) {
      return new PeerchatError('ERR_UNKNOWN_MESSAGE', `unknown native message type ${type}`);
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
        err = this.data(buf, subEnd);
      }
      if (err) return err;
      this.pos = subEnd;
    }
    return null;
  }

  private control(type: number, buf: Uint8Array, end: number): PeerchatError | null {
    if (type !== CONTROL_OPEN) return null; // reject and close carry only an id
    if (this.uint(buf, end) < 0) return malformed('channel open');
    const len = this.uint(buf, end);
    if (len < 0 || this.pos + len > end) return malformed('channel open');
    const protocol = Buffer.from(buf.buffer, buf.byteOffset + this.pos, len).toString('utf8');
    this.pos += len;
    if (++this.opens > MAX_CHANNEL_OPENS) {
      return new PeerchatError(
        'ERR_CHANNEL_FLOOD',
        `more than ${MAX_CHANNEL_OPENS} channel opens on one session`,
      );
    }
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
}

function malformed(where: string): PeerchatError {
  return new PeerchatError('ERR_BAD_FRAME', `malformed native frame (${where})`);
}
