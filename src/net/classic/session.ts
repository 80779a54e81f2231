/**
 * A persistent classic connection (after CONNECT/ACK), seen through the Session interface. It owns
 * the dispatch of the frames that arrive on it: chats are emitted as `chat` (with the sender the
 * frame claims and a no-op ack), QUERY is answered, EXIT closes it with reason "exit".
 */
import { EventEmitter } from 'node:events';
import type { DisconnectReason, PeerEntry } from '../../types.js';
import type { Session, SessionEvents, WireChat } from '../session.js';
import { queryPeerlist, sendOneShot } from './client.js';
import { encodeFrame } from './codec.js';
import type { ClassicConnection } from './connection.js';
import { routeFrame } from './frames.js';

/** How long exit() waits for the remote to close after EXIT before destroying. */
export const EXIT_LINGER_MS = 1000;
/** Chats held until the session is attached. */
const MAX_EARLY_CHATS = 64;

export interface ClassicSessionOptions {
  /** Our name and listening port, read when a frame is written. */
  local: () => { name: string; port: number };
  connectTimeoutMs: number;
  queryTimeoutMs: number;
  maxFrameBytes?: number;
  /** The addresses a QUERY on this connection is answered with; null refuses it. */
  peerlist(): string[] | null;
  /** True when this side dialled. @default false */
  isInitiator?: boolean;
}

export class ClassicSession extends EventEmitter<SessionEvents> implements Session {
  readonly protocol = 'classic' as const;
  readonly remoteKey = null;
  readonly isInitiator: boolean;
  closed = false;
  private reason: DisconnectReason = 'lost';
  private readonly early: SessionEvents['chat'][] = [];

  constructor(
    readonly conn: ClassicConnection,
    readonly remoteHost: string,
    readonly remotePort: number,
    private readonly opts: ClassicSessionOptions,
  ) {
    super();
    this.isInitiator = opts.isInitiator ?? false;
    conn.once('close', () => this.finish());
    (this as EventEmitter).on('newListener', (event: string | symbol) => {
      if (event === 'chat' && this.early.length > 0) queueMicrotask(() => this.flushEarly());
    });
    conn.on('frame', (frame) =>
      routeFrame(frame, conn, {
        connect: (_f, host) =>
          this.emit('warning', { code: 'ERR_BAD_FRAME', message: `repeated CONNECT from ${host} ignored` }),
        chat: (...args) => {
          // a chat can arrive before the Peer has attached the session: hold it until then
          if (this.listenerCount('chat') > 0) this.emit('chat', ...args);
          else if (this.early.length < MAX_EARLY_CHATS) this.early.push(args);
        },
        peerlist: () => this.opts.peerlist(),
        exit: () => this.remoteExit(),
        warning: (w) => this.emit('warning', w),
      }),
    );
  }

  /** Like the original, each MESSAGE goes on a new connection: its reader takes one read as one frame. */
  async sendChat(chat: WireChat): Promise<void> {
    const { name, port } = this.opts.local();
    await sendOneShot(
      this.remoteHost,
      this.remotePort,
      { verb: 'MESSAGE', name, port, text: chat.text },
      this.opts.connectTimeoutMs,
    );
  }

  async requestPeers(): Promise<PeerEntry[]> {
    const frame = await queryPeerlist(
      this.remoteHost,
      this.remotePort,
      this.opts.queryTimeoutMs,
      this.opts.maxFrameBytes,
    );
    return frame.keys.map((address) => ({ address, key: null, name: null }));
  }

  async exit(): Promise<void> {
    if (this.closed) return;
    this.reason = 'closed';
    const socket = this.conn.socket;
    try {
      await this.conn.write(encodeFrame({ verb: 'EXIT', port: this.opts.local().port }));
      socket.end();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, EXIT_LINGER_MS);
        socket.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    } catch {
      // already gone: nothing left to tell
    }
    socket.destroy();
  }

  /** The remote sent EXIT on this connection. */
  remoteExit(): void {
    if (this.closed) return;
    this.reason = 'exit';
    this.emit('exit');
    this.conn.destroy();
  }

  destroy(reason: DisconnectReason = 'closed'): void {
    if (this.closed) return;
    this.reason = reason;
    this.conn.destroy();
  }

  private flushEarly(): void {
    for (const args of this.early.splice(0)) this.emit('chat', ...args);
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.emit('close', this.reason);
  }
}
