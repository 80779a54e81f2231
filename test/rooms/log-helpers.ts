/** Connections between room logs for tests: secret-stream over an in-memory pipe or loopback TCP. */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { duplexPair } from 'node:stream';
import NoiseSecretStream from '@hyperswarm/secret-stream';
import Protomux from 'protomux';
import type { RoomEntry, RoomLog } from '../../src/rooms/log/index.js';

export const TOPIC = randomBytes(32);

export function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'peerchat-roomlog-'));
}

/**
 * Sits between a NoiseSecretStream and protomux (as peerchat's MuxTransport does) and shows
 * protomux what it needs to see: each decrypted frame, after `filter`. It also records the frames
 * both ways, i.e. what a member without the room secret would receive and hold.
 */
export class FrameTap extends EventEmitter {
  userData: unknown = null;
  readonly frames: Buffer[] = [];
  constructor(
    readonly noise: NoiseSecretStream,
    filter: (frame: Buffer) => Buffer = (f) => f,
  ) {
    super();
    noise.on('data', (buf: Buffer) => {
      this.frames.push(Buffer.from(buf));
      this.emit('data', filter(buf));
    });
    noise.on('drain', () => this.emit('drain'));
    noise.on('end', () => this.emit('end'));
    noise.on('error', () => {});
    noise.on('close', () => this.emit('close'));
  }
  get opened(): Promise<boolean> {
    return this.noise.opened;
  }
  get isInitiator(): boolean {
    return this.noise.isInitiator;
  }
  get handshakeHash(): Buffer | null {
    return this.noise.handshakeHash;
  }
  get remotePublicKey(): Buffer | null {
    return this.noise.remotePublicKey;
  }
  /** hypercore reads `rawStream.udx` to size its request window. */
  get rawStream(): unknown {
    return this.noise.rawStream;
  }
  get destroyed(): boolean {
    return this.noise.destroyed;
  }
  write(buf: Buffer): boolean {
    this.frames.push(Buffer.from(buf));
    return this.noise.write(buf);
  }
  end(): void {
    this.noise.end();
  }
  destroy(err?: Error): void {
    this.noise.destroy(err);
  }
  pause(): void {}
  resume(): void {}
}

export interface Link {
  close(): void;
  /** Frames seen by a's side (sent and received), when tapped. */
  frames: Buffer[];
  aKey: Buffer;
  bKey: Buffer;
}

/**
 * Connects two logs over one secret-stream connection and attaches each to its protomux.
 * `tcp` uses a real loopback socket; otherwise an in-memory pipe. `tamperToB` rewrites frames
 * b receives.
 */
export async function link(
  a: RoomLog,
  b: RoomLog,
  opts: { tcp?: boolean; tap?: boolean; tamperToB?: (frame: Buffer) => Buffer } = {},
): Promise<Link> {
  const [rawA, rawB, closeRaw] = opts.tcp ? await tcpPair() : memoryPair();
  const ka = NoiseSecretStream.keyPair();
  const kb = NoiseSecretStream.keyPair();
  const na = new NoiseSecretStream(true, rawA, { keyPair: ka });
  const nb = new NoiseSecretStream(false, rawB, { keyPair: kb });
  na.on('error', () => {});
  nb.on('error', () => {});
  let frames: Buffer[] = [];
  let muxA: Protomux;
  let muxB: Protomux;
  if (opts.tap || opts.tamperToB) {
    const tapA = new FrameTap(na);
    const tapB = new FrameTap(nb, opts.tamperToB);
    frames = tapA.frames;
    muxA = new Protomux(tapA as never);
    muxB = new Protomux(tapB as never);
  } else {
    // the path peerchat takes: the Protomux already on the secret stream
    muxA = Protomux.from(na as never);
    muxB = Protomux.from(nb as never);
  }
  a.replicate(muxA);
  b.replicate(muxB);
  return {
    frames,
    aKey: ka.publicKey,
    bKey: kb.publicKey,
    close() {
      na.destroy();
      nb.destroy();
      closeRaw();
    },
  };
}

function memoryPair(): [unknown, unknown, () => void] {
  const [x, y] = duplexPair();
  return [
    x,
    y,
    () => {
      x.destroy();
      y.destroy();
    },
  ];
}

async function tcpPair(): Promise<[unknown, unknown, () => void]> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
  const client = net.connect(port, '127.0.0.1');
  const srv = await accepted;
  server.close();
  return [
    client,
    srv,
    () => {
      client.destroy();
      srv.destroy();
    },
  ];
}

/** Resolves once `log` holds `count` entries (or `pred` holds); rejects after `ms`. */
export function waitForSize(log: RoomLog, count: number, ms = 8000): Promise<void> {
  return waitUntil(log, () => log.size >= count, ms, `size ${count} (has ${log.size})`);
}

export function waitUntil(log: RoomLog, pred: () => boolean, ms: number, what: string): Promise<void> {
  if (pred()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const check = () => {
      if (!pred()) return;
      cleanup();
      resolve();
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`timed out waiting for ${what}; has ${log.size}`));
    }, ms);
    const cleanup = () => {
      clearTimeout(timer);
      log.off('entry', check);
      log.off('warning', check);
    };
    log.on('entry', check);
    log.on('warning', check);
  });
}

export function collect(log: RoomLog): RoomEntry[] {
  const seen: RoomEntry[] = [];
  log.on('entry', (e: RoomEntry) => seen.push(e));
  return seen;
}
