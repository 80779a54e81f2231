/** Shared helpers of the native protocol tests: key pairs, in-process pairs, a tiny upgrade server. */
import { once } from 'node:events';
import net from 'node:net';
import SecretStream from '@hyperswarm/secret-stream';
import c from 'compact-encoding';
import crypto from 'hypercore-crypto';
import Protomux from 'protomux';
import type { Test } from 'tap';
import * as m from '../../../src/net/native/messages.js';
import {
  CAPABILITY,
  createNativeSession,
  type NativeSession,
  type NativeSessionOptions,
  type NativeTimeouts,
  PROTOCOL,
} from '../../../src/net/native/session.js';
import type { Hello } from '../../../src/net/session.js';

export const keyPair = (): { publicKey: Buffer; secretKey: Buffer } => crypto.keyPair();

export function timeouts(over: Partial<NativeTimeouts> = {}): NativeTimeouts {
  return { handshake: 5000, keepAlive: 2000, session: 6000, ack: 5000, query: 2000, ...over };
}

export function hello(name: string, port = 4000): Hello {
  return { name, port, version: '0.1.0-test', capabilities: [CAPABILITY] };
}

export type Side = Partial<Omit<NativeSessionOptions, 'isInitiator'>>;

function options(isInitiator: boolean, side: Side, name: string): NativeSessionOptions {
  return {
    isInitiator,
    keyPair: side.keyPair ?? keyPair(),
    hello: side.hello ?? hello(name),
    timeouts: side.timeouts ?? timeouts(),
    verifyKey: side.verifyKey,
    leftover: side.leftover,
  };
}

/** Two SecretStreams bridged in memory (secret-stream's own Bridge), not yet handshaken. */
export function streamPair(
  kpA = keyPair(),
  kpB = keyPair(),
): { a: SecretStream; b: SecretStream; unpipe: () => void } {
  const a = new SecretStream(true, null, { keyPair: kpA });
  const b = new SecretStream(false, null, { keyPair: kpB });
  a.rawStream.pipe(b.rawStream).pipe(a.rawStream);
  return { a, b, unpipe: () => a.rawStream.unpipe(b.rawStream) };
}

/** Two native sessions over an in-process pipe; a is the initiator. */
export function pipePair(sideA: Side = {}, sideB: Side = {}): { a: NativeSession; b: NativeSession } {
  const optsA = options(true, sideA, 'alice');
  const optsB = options(false, sideB, 'bob');
  const { a, b } = streamPair(optsA.keyPair, optsB.keyPair);
  return { a: createNativeSession(a, optsA), b: createNativeSession(b, optsB) };
}

/** pipePair, destroyed in teardown, once both sides are ready. */
export async function readyPair(
  t: { teardown(fn: () => void): void },
  sideA: Side = {},
  sideB: Side = {},
): Promise<{ a: NativeSession; b: NativeSession }> {
  const pair = pipePair(sideA, sideB);
  t.teardown(() => {
    pair.a.destroy();
    pair.b.destroy();
  });
  await Promise.all([pair.a.ready, pair.b.ready]);
  return pair;
}

/** Resolve with the args of the event, reject after ms. */
export async function waitFor<T extends unknown[] = unknown[]>(
  emitter: NodeJS.EventEmitter,
  event: string,
  ms = 5000,
): Promise<T> {
  return (await once(emitter, event, { signal: AbortSignal.timeout(ms) })) as T;
}

export interface UpgradeServer {
  port: number;
  /** Sessions created by the server side, in accept order. */
  sessions: NativeSession[];
  /** Resolves with the next server-side session. */
  next(): Promise<NativeSession>;
  close(): Promise<void>;
}

const LINE = (name: string, port: number) => `CONNECT:${name}:${port}:${CAPABILITY}\n`;

/**
 * A tiny listener that reads one plaintext line, answers ACK, then hands the socket and the
 * bytes read past the line to createNativeSession (like the Peer's listener does).
 */
export async function upgradeServer(side: Side = {}, opts: { ack?: boolean } = {}): Promise<UpgradeServer> {
  const sessions: NativeSession[] = [];
  const waiters: Array<(s: NativeSession) => void> = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buf = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const nl = buf.indexOf(10);
      if (nl < 0) return;
      socket.removeListener('data', onData);
      if (opts.ack !== false)
        socket.write(`ACK:server:${(server.address() as net.AddressInfo).port}:${CAPABILITY}\n`);
      const session = createNativeSession(
        socket,
        options(false, { ...side, leftover: buf.subarray(nl + 1) }, 'server'),
      );
      session.on('warning', () => {});
      sessions.push(session);
      waiters.shift()?.(session);
    };
    socket.on('data', onData);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as net.AddressInfo).port,
    sessions,
    next: () => new Promise((resolve) => waiters.push(resolve)),
    close: async () => {
      for (const s of sessions) s.destroy();
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Dial, say CONNECT, read the ACK line and return the socket plus the bytes past the line. */
export async function dialRaw(
  port: number,
  opts: { withFirstWrite?: boolean } = {},
): Promise<{
  socket: net.Socket;
  leftover: Buffer;
}> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => {});
  await once(socket, 'connect');
  if (!opts.withFirstWrite) socket.write(LINE('client', 1));
  let buf = Buffer.alloc(0);
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.indexOf(10) < 0) return;
      socket.removeListener('data', onData);
      socket.removeListener('close', onClose);
      resolve();
    };
    const onClose = () => reject(new Error('closed before ACK'));
    socket.on('data', onData);
    socket.on('close', onClose);
    if (opts.withFirstWrite) resolve();
  });
  const nl = buf.indexOf(10);
  return { socket, leftover: nl < 0 ? Buffer.alloc(0) : buf.subarray(nl + 1) };
}

/** Dial the upgrade server and open the initiator's session. */
export async function dialNative(port: number, side: Side = {}): Promise<NativeSession> {
  const { socket, leftover } = await dialRaw(port);
  return createNativeSession(socket, options(true, { ...side, leftover }, 'client'));
}

/**
 * Dial and send the CONNECT line in the same write as the first Noise message, so the server
 * reads Noise bytes past the line (its leftover).
 */
export async function dialNativeEager(port: number, side: Side = {}): Promise<NativeSession> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => {});
  await once(socket, 'connect');
  const write = socket.write.bind(socket) as (b: Buffer) => boolean;
  let first = true;
  (socket as unknown as { write: (b: Buffer) => boolean }).write = (b: Buffer) => {
    if (!first) return write(b);
    first = false;
    return write(Buffer.concat([Buffer.from(LINE('client', 1)), b]));
  };
  // use with upgradeServer(side, { ack: false }): no ACK line comes back on this socket
  const session = createNativeSession(socket, options(true, side, 'client'));
  return session;
}

/** Poll `check` on every turn of the event loop until it holds; throw after ms. */
export async function until(check: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

export /**
 * Our session on one end of a pipe (with a channel policy if given), a hand-driven protomux on the
 * other that opens a channel for each of `protocols` with `messages` raw message types.
 */
async function rawRemote(
  t: Test,
  opts: { protocols?: string[]; messages?: number; channels?: NativeSessionOptions['channels'] } = {},
): Promise<{ session: NativeSession; remote: SecretStream; mux: Protomux; channels: Protomux.Channel[] }> {
  const { a, b } = streamPair();
  a.on('error', () => {});
  const session = createNativeSession(b, {
    isInitiator: false,
    keyPair: keyPair(),
    hello: hello('us'),
    timeouts: timeouts({ handshake: 3000 }),
    ...(opts.channels ? { channels: opts.channels } : {}),
  });
  t.teardown(() => {
    session.destroy();
    a.destroy();
  });
  await once(a, 'handshake');
  const mux = new Protomux(a);
  const channels: Protomux.Channel[] = [];
  for (const protocol of opts.protocols ?? [PROTOCOL]) {
    const channel = mux.createChannel({
      protocol,
      handshake: m.hello,
      messages: Array.from({ length: opts.messages ?? m.MESSAGE_COUNT }, () => ({ encoding: c.raw })),
    });
    if (!channel) throw new Error('no channel');
    channel.open(hello('them'));
    channels.push(channel);
  }
  return { session, remote: a, mux, channels };
}
