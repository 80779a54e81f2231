/**
 * A classic (BlockMiners) peer written from classic-protocol.md alone, on raw sockets: no
 * peerchat code. It writes frames the way the original does (one write, no terminator) and
 * reads frames by "\n" (peerchat terminates every frame) with surrounding white space stripped.
 */
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { LOOPBACK } from './harness.js';

export const QUERY_TIMEOUT_MS = 5000;

export interface Received {
  frame: string;
  /** The connection it came on. */
  socket: Socket;
  /** "in": a connection the other side opened; "out": one this client opened. */
  via: 'in' | 'out';
}

type FrameListener = (r: Received) => void;

export class ClassicClient {
  port = 0;
  readonly received: Received[] = [];
  /** Persistent connections by peer key "ip:port" (both directions). */
  readonly persistent = new Map<string, Socket>();
  private server: Server | null = null;
  private sockets = new Set<Socket>();
  private listeners = new Set<FrameListener>();

  constructor(readonly name: string) {}

  get address(): string {
    return `${LOOPBACK}:${this.port}`;
  }

  /** Listen on an ephemeral loopback port and answer CONNECT, QUERY and EXIT as the original. */
  async listen(): Promise<void> {
    this.server = createServer((s) => this.track(s, 'in'));
    this.server.listen(0, LOOPBACK);
    await once(this.server, 'listening');
    const addr = this.server.address();
    if (!addr || typeof addr !== 'object') throw new Error('no address');
    this.port = addr.port;
  }

  private track(socket: Socket, via: 'in' | 'out'): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => {});
    let rest = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      rest += chunk;
      let i = rest.indexOf('\n');
      while (i !== -1) {
        const frame = rest.slice(0, i).trim();
        rest = rest.slice(i + 1);
        if (frame !== '') this.onFrame({ frame, socket, via });
        i = rest.indexOf('\n');
      }
    });
  }

  private onFrame(r: Received): void {
    this.received.push(r);
    const { frame, socket, via } = r;
    const host = socket.remoteAddress?.replace(/^::ffff:/, '') ?? LOOPBACK;
    if (via === 'in' && frame.startsWith('CONNECT:')) {
      const [, , port] = frame.split(':');
      this.persistent.set(`${host}:${port}`, socket);
      socket.write(`ACK:${this.name}:${this.port}`);
    } else if (frame === 'QUERY') {
      socket.write(`PEERLIST:${[...this.persistent.keys()].join(',')}`);
    } else if (frame.startsWith('EXIT:')) {
      const key = `${host}:${frame.slice(5)}`;
      if (this.persistent.get(key) === socket) this.persistent.delete(key);
      socket.destroy();
    }
    for (const fn of [...this.listeners]) fn(r);
  }

  /** The first frame (already received or still to come) that `match` accepts. */
  waitFrame(match: (r: Received) => boolean, timeoutMs = QUERY_TIMEOUT_MS, since = 0): Promise<Received> {
    const seen = this.received.slice(since).find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners.delete(fn);
        reject(
          new Error(
            `classic client ${this.name}: no matching frame within ${timeoutMs} ms; got ${JSON.stringify(
              this.received.map((x) => x.frame),
            )}`,
          ),
        );
      }, timeoutMs);
      const fn: FrameListener = (r) => {
        if (!match(r)) return;
        clearTimeout(timer);
        this.listeners.delete(fn);
        resolve(r);
      };
      this.listeners.add(fn);
    });
  }

  private async open(port: number): Promise<Socket> {
    const socket = connect({ host: LOOPBACK, port });
    await once(socket, 'connect');
    this.track(socket, 'out');
    return socket;
  }

  /** CONNECT on a new persistent connection; resolves to the ACK frame. */
  async connectTo(port: number): Promise<string> {
    const since = this.received.length;
    const socket = await this.open(port);
    socket.write(`CONNECT:${this.name}:${this.port}`);
    const ack = await this.waitFrame(
      (r) => r.socket === socket && r.frame.startsWith('ACK:'),
      undefined,
      since,
    );
    this.persistent.set(`${LOOPBACK}:${ack.frame.split(':')[2]}`, socket);
    return ack.frame;
  }

  /** MESSAGE on a new connection, closed right after writing (as the original sends). */
  async message(port: number, text: string): Promise<void> {
    const socket = await this.open(port);
    socket.end(`MESSAGE:${this.name}:${this.port}:${text}`);
    await once(socket, 'close');
  }

  /** QUERY on a new connection; resolves to the keys of the PEERLIST answer. */
  async query(port: number): Promise<string[]> {
    const since = this.received.length;
    const socket = await this.open(port);
    socket.write('QUERY');
    const r = await this.waitFrame(
      (x) => x.socket === socket && x.frame.startsWith('PEERLIST:'),
      undefined,
      since,
    );
    socket.destroy();
    return r.frame
      .slice('PEERLIST:'.length)
      .split(',')
      .filter((k) => k !== '');
  }

  /** EXIT on every persistent connection, then close them. */
  async exit(): Promise<void> {
    for (const s of this.persistent.values()) s.end(`EXIT:${this.port}`);
    this.persistent.clear();
  }

  /** Raw bytes on a new connection (bad-input tests); the socket is returned open. */
  async raw(port: number, bytes: string | Buffer): Promise<Socket> {
    const socket = await this.open(port);
    if (bytes.length > 0) socket.write(bytes);
    return socket;
  }

  close(): void {
    for (const s of this.sockets) s.destroy();
    this.server?.close();
  }
}
