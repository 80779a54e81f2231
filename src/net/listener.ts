/**
 * The listening port: the inbound cap, the idle timeout of a connection that has said nothing
 * useful yet, and the frames of connections that are not sessions (one-shot MESSAGE, QUERY, EXIT).
 * A CONNECT is handed on to become a session (net/upgrade.ts).
 */
import { createServer, type Server, type Socket } from 'node:net';
import { PeerchatError, type Warning } from '../errors.js';
import { formatAddress } from './address.js';
import type { Frame } from './classic/codec.js';
import { ClassicConnection } from './classic/connection.js';
import { routeFrame } from './classic/frames.js';
import type { ClaimedSender, WireChat } from './session.js';

export interface ListenerOptions {
  host: string;
  port: number;
  backlog: number;
  limits: { maxInbound: number; maxFrameBytes: number };
  idleMs: number;
  /** Accept plaintext classic peers: without it a one-shot MESSAGE is dropped with a warning. */
  classic: boolean;
  /** While the peer shuts down, new connections are closed without a word. */
  closing(): boolean;
  warning(w: Warning): void;
  connect(frame: Extract<Frame, { verb: 'CONNECT' }>, conn: ClassicConnection, host: string): void;
  chat(chat: WireChat, ack: () => void, claimed: ClaimedSender): void;
  /** The addresses a QUERY is answered with; null refuses it (the connection is closed). */
  peerlist(): string[] | null;
  exit(host: string, port: number, conn: ClassicConnection): void;
}

export class Listener {
  private server: Server | null = null;
  private readonly inbound = new Set<Socket>();

  constructor(private readonly opts: ListenerOptions) {}

  /** Resolves with the bound port; ERR_LISTEN (with the cause) when the address cannot be used. */
  listen(): Promise<number> {
    const { host, port, backlog } = this.opts;
    return new Promise((resolve, reject) => {
      const server = createServer({ noDelay: true }, (socket) => this.onInbound(socket));
      server.once('error', (err) =>
        reject(
          new PeerchatError('ERR_LISTEN', `cannot listen on ${formatAddress(host, port)}: ${err.message}`, {
            cause: err,
          }),
        ),
      );
      server.listen({ host, port, backlog }, () => {
        server.removeAllListeners('error');
        server.on('error', (err) =>
          this.opts.warning({ code: 'ERR_LISTEN', message: `listener error: ${err.message}`, cause: err }),
        );
        const addr = server.address();
        this.server = server;
        resolve(addr && typeof addr === 'object' ? addr.port : port);
      });
    });
  }

  /** Close every inbound connection and stop listening. */
  async close(): Promise<void> {
    for (const s of this.inbound) s.destroy();
    const server = this.server;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private onInbound(socket: Socket): void {
    const { limits } = this.opts;
    const closing = this.opts.closing();
    if (closing || this.inbound.size >= limits.maxInbound) {
      if (!closing)
        this.opts.warning({
          code: 'ERR_TOO_MANY_CONNECTIONS',
          message: `refused a connection: ${limits.maxInbound} inbound connections open`,
        });
      socket.destroy();
      return;
    }
    this.inbound.add(socket);
    socket.once('close', () => this.inbound.delete(socket));
    const conn = new ClassicConnection(socket, {
      maxFrameBytes: limits.maxFrameBytes,
      idleMs: this.opts.idleMs,
    });
    conn.on('warning', (w) => this.opts.warning(w));
    conn.on('frame', (frame) =>
      routeFrame(frame, conn, {
        connect: (f, host) => this.opts.connect(f, conn, host),
        chat: (chat, ack, claimed) => {
          if (!this.opts.classic) {
            this.opts.warning({
              code: 'ERR_CLASSIC_REFUSED',
              message: `dropped a classic message from ${claimed.host}:${claimed.port} (classic is off)`,
            });
            conn.destroy();
            return;
          }
          this.opts.chat(chat, ack, claimed);
        },
        peerlist: () => this.opts.peerlist(),
        exit: (port, host) => this.opts.exit(host, port, conn),
        warning: (w) => this.opts.warning(w),
      }),
    );
  }
}
