/**
 * The listening port: the inbound cap, the idle timeout of a connection that has said nothing
 * useful yet, and the frames of connections that are not sessions (one-shot MESSAGE, QUERY, EXIT).
 * A CONNECT is handed on to become a session (net/upgrade.ts).
 */
import { createServer, type Server, type Socket } from 'node:net';
import { PeerchatError, type Warning } from '../errors.js';
import { formatAddress, normalizeHost } from './address.js';
import type { Frame } from './classic/codec.js';
import { ClassicConnection } from './classic/connection.js';
import { routeFrame } from './classic/frames.js';
import type { ClaimedSender, WireChat } from './session.js';

export interface ListenerOptions {
  host: string;
  port: number;
  backlog: number;
  limits: { maxInbound: number; maxInboundPerIp: number; maxFrameBytes: number };
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

/**
 * Native sessions one source may keep when the inbound slots are all taken: a peer behind a NAT
 * with a few users keeps them, a source holding more gives up its oldest for a newcomer.
 */
const NATIVE_FAIR_SHARE = 4;

export class Listener {
  private server: Server | null = null;
  private readonly inbound = new Set<Socket>();
  /** Inbound sockets by remote IP, oldest first. */
  private readonly byIp = new Map<string, Set<Socket>>();
  /** Sockets whose CONNECT asked for the native upgrade: bounded by the handshake, never evicted. */
  private readonly native = new WeakSet<Socket>();
  /** Sockets that sent CONNECT (sessions, classic or native). */
  private readonly connected = new WeakSet<Socket>();

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

  /**
   * Make room for a newcomer: close, in the busiest source (or in its own, when that is full), the
   * oldest connection that has not sent CONNECT, else its oldest classic (unauthenticated) session.
   * When every inbound slot is taken, a source holding more than NATIVE_FAIR_SHARE native sessions
   * also gives up its oldest one: keys cost nothing, so 16 IPs of throwaway keys locked every new
   * peer out (session 17). False when nothing can go.
   */
  private evictFor(newcomer: string, sameIp: boolean): boolean {
    const sources = sameIp
      ? [[newcomer, this.byIp.get(newcomer) ?? new Set<Socket>()] as const]
      : [...this.byIp.entries()].sort((a, b) => b[1].size - a[1].size);
    for (const [ip, sockets] of sources) {
      const all = [...sockets].filter((s) => !this.native.has(s));
      let victim = all.find((s) => !this.connected.has(s)) ?? all[0];
      if (!victim && !sameIp && ip !== newcomer && sockets.size > NATIVE_FAIR_SHARE) victim = [...sockets][0];
      if (!victim) continue;
      const what = this.native.has(victim)
        ? 'native session'
        : this.connected.has(victim)
          ? 'classic session'
          : 'connection';
      this.opts.warning({
        code: 'ERR_TOO_MANY_CONNECTIONS',
        message: `closed the oldest ${what} of ${ip} (${sockets.size} open) for a newcomer from ${newcomer}`,
      });
      this.inbound.delete(victim);
      sockets.delete(victim);
      victim.destroy();
      return true;
    }
    return false;
  }

  private onInbound(socket: Socket): void {
    const { limits } = this.opts;
    if (this.opts.closing()) {
      socket.destroy();
      return;
    }
    // read once, now: a socket reset later has no remote address any more
    if (!socket.remoteAddress) {
      socket.destroy(); // reset before we saw it: nobody to attribute its bytes to
      return;
    }
    const ip = normalizeHost(socket.remoteAddress);
    const refuse = (why: string) => {
      this.opts.warning({
        code: 'ERR_TOO_MANY_CONNECTIONS',
        message: `refused a connection from ${ip}: ${why}`,
      });
      socket.destroy();
    };
    const mine = this.byIp.get(ip) ?? new Set<Socket>();
    if (mine.size >= limits.maxInboundPerIp && !this.evictFor(ip, true)) {
      return refuse(`${limits.maxInboundPerIp} connections from it are open`);
    }
    if (this.inbound.size >= limits.maxInbound && !this.evictFor(ip, false)) {
      return refuse(`${limits.maxInbound} inbound connections open`);
    }
    this.inbound.add(socket);
    mine.add(socket);
    this.byIp.set(ip, mine);
    socket.once('close', () => {
      this.inbound.delete(socket);
      mine.delete(socket);
      if (mine.size === 0 && this.byIp.get(ip) === mine) this.byIp.delete(ip);
    });
    const conn = new ClassicConnection(socket, {
      maxFrameBytes: limits.maxFrameBytes,
      idleMs: this.opts.idleMs,
    });
    conn.on('warning', (w) => this.opts.warning(w));
    conn.on('frame', (frame) =>
      routeFrame(frame, conn, {
        connect: (f, host) => {
          this.connected.add(socket);
          if (f.extra.some((x) => x.startsWith('peerchat/'))) this.native.add(socket);
          this.opts.connect(f, conn, host);
        },
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
