/** A persistent classic connection (after CONNECT/ACK), seen through the Session interface. */
import { EventEmitter } from 'node:events';
import type { DisconnectReason, PeerEntry } from '../../types.js';
import type { Session, SessionEvents, WireChat } from '../session.js';
import { queryPeerlist, sendOneShot } from './client.js';
import { encodeFrame } from './codec.js';
import type { ClassicConnection } from './connection.js';

/** How long exit() waits for the remote to close after EXIT before destroying. */
export const EXIT_LINGER_MS = 1000;

export interface ClassicSessionOptions {
  /** Our name and listening port, read when a frame is written. */
  local: () => { name: string; port: number };
  connectTimeoutMs: number;
  queryTimeoutMs: number;
  maxFrameBytes?: number;
}

export class ClassicSession extends EventEmitter<SessionEvents> implements Session {
  readonly protocol = 'classic' as const;
  readonly remoteKey = null;
  closed = false;
  private reason: DisconnectReason = 'lost';

  constructor(
    readonly conn: ClassicConnection,
    readonly remoteHost: string,
    readonly remotePort: number,
    private readonly opts: ClassicSessionOptions,
  ) {
    super();
    conn.once('close', () => this.finish());
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

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.emit('close', this.reason);
  }
}
