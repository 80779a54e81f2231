/**
 * A classic BlockMiners peer written with raw sockets only: it speaks exactly the bytes of
 * classic-protocol.md (no terminator, one frame per write) and shares no code with peerchat.
 */
import { EventEmitter } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';

export class RawClassicPeer extends EventEmitter {
  server: Server;
  port = 0;
  /** Every frame received, with the remote address, in order. */
  frames: Array<{ text: string; from: string }> = [];
  connected = new Map<string, Socket>();
  sockets = new Set<Socket>();

  constructor(readonly name: string) {
    super();
    this.server = createServer((s) => this.handle(s));
  }

  listen(): Promise<number> {
    return new Promise((resolve) =>
      this.server.listen(0, '127.0.0.1', () => {
        this.port = (this.server.address() as { port: number }).port;
        resolve(this.port);
      }),
    );
  }

  private handle(s: Socket): void {
    this.sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => this.sockets.delete(s));
    // like the original: each read is one frame, stripped of white space
    s.on('data', (d) => {
      const text = d.toString('utf8').trim();
      this.frames.push({ text, from: `${s.remoteAddress}:${s.remotePort}` });
      this.emit('frame', text, s);
      if (text.startsWith('CONNECT:')) {
        const [, , port] = text.split(':');
        this.connected.set(`127.0.0.1:${port}`, s);
        s.write(`ACK:${this.name}:${this.port}`);
      } else if (text === 'QUERY') {
        s.write(`PEERLIST:${[...this.connected.keys()].join(',')}`);
      }
    });
  }

  /** Open a connection and write one frame; resolves with the socket. */
  open(port: number, frame?: string): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => {
        if (frame !== undefined) s.write(frame);
        resolve(s);
      });
      this.sockets.add(s);
      s.on('error', reject);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  /** Read the next chunk from a socket as text. */
  static read(s: Socket, timeout = 5000): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no answer')), timeout);
      s.once('data', (d) => {
        clearTimeout(timer);
        resolve(d.toString('utf8'));
      });
    });
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
