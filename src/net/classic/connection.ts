/** One TCP connection read as classic frames. */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type { Warning } from '../../errors.js';
import { normalizeHost } from '../address.js';
import { type Frame, FrameDecoder, MAX_FRAME_BYTES, parseFrame } from './codec.js';

/** The original sends a frame in one write without a terminator: a quiet gap this long ends it. */
export const FRAME_GAP_MS = 15;

export interface ClassicConnectionEvents {
  frame: [frame: Frame];
  warning: [warning: Warning];
  close: [];
}

export interface ClassicConnectionOptions {
  maxFrameBytes?: number;
  /** Close after this long without data. 0 disables. */
  idleMs?: number;
}

export class ClassicConnection extends EventEmitter<ClassicConnectionEvents> {
  readonly decoder: FrameDecoder;
  /**
   * The remote IP and port, read once when the connection is made: a socket that was reset has no
   * remote address any more, and its last frames are still read after that.
   */
  readonly remoteHost: string;
  readonly remotePort: number | null;
  private gapTimer: NodeJS.Timeout | null = null;
  private detached = false;
  /**
   * This sender ends its frames with a newline (peerchat, nc): from then on a frame ends only at
   * one. The gap rule is for the original, which never sends one; applied to a newline sender, a
   * line split across two reads (a busy loop, a slow link) was cut and its head taken whole.
   */
  private terminated = false;
  /** While a frame is dispatched: the bytes of its chunk that follow it. */
  private rest: Buffer | null = null;
  private readonly onData = (chunk: Buffer) => this.receive(chunk);
  private readonly onEnd = () => {
    this.flushTail();
    this.socket.end();
  };

  constructor(
    readonly socket: Socket,
    opts: ClassicConnectionOptions = {},
  ) {
    super();
    this.remoteHost = normalizeHost(socket.remoteAddress ?? '');
    this.remotePort = socket.remotePort ?? null;
    this.decoder = new FrameDecoder(opts.maxFrameBytes ?? MAX_FRAME_BYTES);
    socket.setNoDelay(true);
    if (opts.idleMs) {
      socket.setTimeout(opts.idleMs, () => {
        this.emit('warning', {
          code: 'ERR_IDLE_TIMEOUT',
          message: `closed ${this.label} after ${opts.idleMs} ms idle`,
        });
        socket.destroy();
      });
    }
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('error', () => {}); // reported through 'close'; a reset must not crash the process
    socket.once('close', () => {
      this.clearGap();
      if (!this.detached) this.emit('close');
    });
  }

  get label(): string {
    return `${this.remoteHost || '?'}:${this.remotePort ?? '?'}`;
  }

  /** Write one frame in one write; resolves once handed to the kernel. */
  write(text: string): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.socket.destroyed || !this.socket.writable) {
        reject(new Error('socket closed'));
        return;
      }
      this.socket.write(text, (err) => (err ? reject(err) : resolve()));
    });
  }

  /**
   * Stop reading frames and hand the socket over (to the native upgrade). Returns the bytes
   * already read past the last frame, which belong to the next protocol.
   */
  detach(): Buffer {
    this.detached = true;
    this.clearGap();
    this.socket.off('data', this.onData);
    this.socket.off('end', this.onEnd);
    this.socket.setTimeout(0);
    // the decoder's buffered tail is part of `rest` when detaching mid-chunk
    const raw = this.decoder.takeRaw();
    return this.rest ?? raw;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private receive(chunk: Buffer): void {
    this.clearGap();
    for (const ev of this.decoder.push(chunk)) {
      if (this.detached) return;
      if (!ev.ok) {
        this.emit('warning', { code: ev.code, message: `${ev.message} from ${this.label}` });
        if (ev.code === 'ERR_FRAME_TOO_LARGE') {
          this.socket.destroy();
          return;
        }
        continue;
      }
      this.terminated = true;
      this.rest = chunk.subarray(ev.end);
      this.dispatch(ev.line);
      this.rest = null;
    }
    if (this.decoder.pending && !this.detached && !this.terminated) {
      this.gapTimer = setTimeout(() => this.flushTail(), FRAME_GAP_MS);
    }
  }

  private flushTail(): void {
    this.clearGap();
    if (this.detached) return;
    const ev = this.decoder.flush();
    if (!ev) return;
    if (ev.ok) this.dispatch(ev.line);
    else this.emit('warning', { code: ev.code, message: `${ev.message} from ${this.label}` });
  }

  private dispatch(line: string): void {
    const res = parseFrame(line);
    if (res.ok) this.emit('frame', res.frame);
    else this.emit('warning', { code: res.code, message: `${res.message} from ${this.label}` });
  }

  private clearGap(): void {
    if (this.gapTimer) {
      clearTimeout(this.gapTimer);
      this.gapTimer = null;
    }
  }
}
