/**
 * The allocation guard: a thin raw-stream wrapper between a TCP socket and secret-stream.
 *
 * secret-stream reads a 3-byte little-endian length before every frame and allocates that many
 * bytes at once, before the Noise handshake as well. This wrapper walks the same length prefixes
 * (no copies: it only reads the headers and skips bodies) and destroys the socket with
 * ERR_FRAME_TOO_LARGE before secret-stream sees a frame that announces too much.
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { PeerchatError } from '../../errors.js';

/** Noise XX messages are under 200 bytes; the stream header is 56. */
export const PRE_HANDSHAKE_MAX_FRAME = 4 * 1024;
/** After the handshake: the largest batch of protomux messages the peer may send in one frame. */
export const MAX_FRAME = 256 * 1024;
/**
 * Frames a peer sends before its side of the handshake is done, as the other side sees them:
 * the responder reads message 1, message 3 and the stream header; the initiator reads message 2
 * and the header. Counting frames keeps the cap exact even when a handshake frame and the first
 * data frames arrive in one read.
 */
const PRE_HANDSHAKE_FRAMES = { initiator: 2, responder: 3 } as const;

export interface GuardOptions {
  isInitiator: boolean;
  /** Bytes already read past the plaintext upgrade line; they go through the guard first. */
  leftover?: Buffer | null;
  /** @default PRE_HANDSHAKE_MAX_FRAME */
  preHandshakeMaxFrame?: number;
  /** @default MAX_FRAME */
  maxFrame?: number;
}

/** Walks frame length prefixes across chunk boundaries. */
export class FrameScanner {
  private headerBytes = 0;
  private length = 0;
  private skip = 0;
  private framesLeft: number;
  frames = 0;

  constructor(
    preFrames: number,
    readonly preMax: number,
    readonly postMax: number,
  ) {
    this.framesLeft = preFrames;
  }

  /** The announced length of the first frame over the limit in this chunk, or -1. */
  scan(chunk: Uint8Array): number {
    const len = chunk.byteLength;
    let i = 0;
    while (i < len) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, len - i);
        this.skip -= n;
        i += n;
        continue;
      }
      this.length += (chunk[i++] as number) << (8 * this.headerBytes);
      if (++this.headerBytes < 3) continue;
      const frame = this.length;
      this.headerBytes = 0;
      this.length = 0;
      this.frames++;
      const max = this.framesLeft > 0 ? this.preMax : this.postMax;
      if (this.framesLeft > 0) this.framesLeft--;
      if (frame > max) return frame;
      this.skip = frame;
    }
    return -1;
  }

  get preHandshake(): boolean {
    return this.framesLeft > 0;
  }
}

/**
 * Looks like the raw stream secret-stream expects (on/write/end/destroy/pause/resume) and
 * forwards to the socket. Socket data reaches secret-stream only after the guard scanned it.
 */
export class GuardedSocket extends EventEmitter {
  readonly socket: Socket;
  readonly scanner: FrameScanner;
  /** The error the guard destroyed the socket with, if any. */
  violation: PeerchatError | null = null;
  private leftover: Buffer | null;
  private started = false;
  private wantPaused = false;
  private readonly onDataBound = this.onData.bind(this);

  constructor(socket: Socket, opts: GuardOptions) {
    super();
    this.socket = socket;
    this.leftover = opts.leftover && opts.leftover.byteLength > 0 ? opts.leftover : null;
    this.scanner = new FrameScanner(
      opts.isInitiator ? PRE_HANDSHAKE_FRAMES.initiator : PRE_HANDSHAKE_FRAMES.responder,
      opts.preHandshakeMaxFrame ?? PRE_HANDSHAKE_MAX_FRAME,
      opts.maxFrame ?? MAX_FRAME,
    );
    // Hold the socket until secret-stream listens: it drops a handshake reply to bytes that
    // arrive before it has opened (which is also why its `data` option is not used for leftovers).
    socket.pause();
    socket.on('error', (err) => this.forward('error', err));
    socket.on('close', () => this.emit('close'));
    socket.on('end', () => this.emit('end'));
    socket.on('drain', () => this.emit('drain'));
    this.on('newListener', (event: string) => {
      if (event === 'data' && !this.started) queueMicrotask(() => this.start());
    });
  }

  private start(): void {
    if (this.started || this.socket.destroyed) return;
    this.started = true;
    const leftover = this.leftover;
    this.leftover = null;
    if (leftover) this.onData(leftover);
    if (this.violation) return;
    this.socket.on('data', this.onDataBound);
    if (!this.wantPaused) this.socket.resume();
  }

  private onData(chunk: Buffer): void {
    if (this.violation || chunk.byteLength === 0) return;
    const pre = this.scanner.preHandshake;
    const announced = this.scanner.scan(chunk);
    if (announced >= 0) {
      const limit = pre ? 'before the handshake' : 'after the handshake';
      this.violation = new PeerchatError(
        'ERR_FRAME_TOO_LARGE',
        `a frame of ${announced} bytes was announced ${limit}; the limit is ${pre ? this.scanner.preMax : this.scanner.postMax}`,
      );
      this.socket.destroy(this.violation);
      return;
    }
    this.emit('data', chunk);
  }

  private forward(event: string, arg: unknown): void {
    if (this.listenerCount(event) > 0) this.emit(event, arg);
  }

  write(data: Buffer): boolean {
    return this.socket.write(data);
  }

  end(): this {
    this.socket.end();
    return this;
  }

  destroy(err?: Error | null): this {
    this.socket.destroy(err ?? undefined);
    return this;
  }

  pause(): this {
    this.wantPaused = true;
    if (this.started) this.socket.pause();
    return this;
  }

  resume(): this {
    this.wantPaused = false;
    if (this.started) this.socket.resume();
    return this;
  }

  get destroyed(): boolean {
    return this.socket.destroyed;
  }
}
