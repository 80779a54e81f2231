/**
 * A raw native (peerchat/1) endpoint for attacks: the CONNECT/ACK upgrade line, Noise
 * (secret-stream) and one protomux channel whose messages are raw bytes, so a test can send
 * anything in any order. Written from the wire format, without peerchat code.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import SecretStream from '@hyperswarm/secret-stream';
import c from 'compact-encoding';
import crypto from 'hypercore-crypto';
import Protomux from 'protomux';
import { LOOPBACK } from './harness.js';

export const CAPABILITY = 'peerchat/1';
/** Message indexes on the channel. */
export const MSG = { chat: 0, ack: 1, peersRequest: 2, peersAnswer: 3, exit: 4 } as const;

export function encodeHello(h: {
  name: string;
  port: number;
  version?: string;
  capabilities?: string[];
}): Buffer {
  const state = c.state();
  const caps = h.capabilities ?? [CAPABILITY];
  const version = h.version ?? '0.0.0-raw';
  c.string.preencode(state, h.name);
  c.uint.preencode(state, h.port);
  c.string.preencode(state, version);
  c.uint.preencode(state, caps.length);
  for (const x of caps) c.string.preencode(state, x);
  state.buffer = Buffer.allocUnsafe(state.end);
  c.string.encode(state, h.name);
  c.uint.encode(state, h.port);
  c.string.encode(state, version);
  c.uint.encode(state, caps.length);
  for (const x of caps) c.string.encode(state, x);
  return state.buffer as Buffer;
}

export function encodeChat(m: { id: string; ts: number; text: string }): Buffer {
  const state = c.state();
  c.string.preencode(state, m.id);
  c.uint.preencode(state, m.ts);
  c.string.preencode(state, m.text);
  state.buffer = Buffer.allocUnsafe(state.end);
  c.string.encode(state, m.id);
  c.uint.encode(state, m.ts);
  c.string.encode(state, m.text);
  return state.buffer as Buffer;
}

/** A peers request as the wire carries it (written by hand, like the chat: a raw client's view). */
export function encodePeersRequest(requestId: number): Buffer {
  const state = c.state();
  c.uint.preencode(state, requestId);
  state.buffer = Buffer.allocUnsafe(state.end);
  c.uint.encode(state, requestId);
  return state.buffer as Buffer;
}

export function decodeChat(b: Uint8Array): { id: string; ts: number; text: string } {
  const state = { start: 0, end: b.length, buffer: b };
  return { id: c.string.decode(state), ts: c.uint.decode(state), text: c.string.decode(state) };
}

export interface RawNative {
  socket: Socket;
  stream: SecretStream;
  mux: Protomux;
  channel: NonNullable<ReturnType<Protomux['createChannel']>>;
  /** The remote's hello, raw (set once the channel opened). */
  opened: Promise<Buffer>;
  /** Chats received, decoded. */
  chats: { id: string; ts: number; text: string }[];
  /** Ids of the acks received. */
  acks: string[];
  /** Acks with a refusal tail (`reason` uint, `retryAfterMs` uint) received. */
  refusals: { id: string; reason: number; retryAfterMs: number }[];
  publicKey: Buffer;
}

function channelOn(
  stream: SecretStream,
  socket: Socket,
  keyPair: { publicKey: Buffer },
  hello: Buffer,
  opts: { corkWith?: (r: RawNative) => void; autoAck?: boolean },
): RawNative {
  const mux = Protomux.from(stream);
  let onChat: (b: Uint8Array) => void = () => {};
  const acks: string[] = [];
  const refusals: RawNative['refusals'] = [];
  const onAck = (b: Uint8Array): void => {
    const state = { start: 0, end: b.length, buffer: b };
    const id = c.string.decode(state);
    if (state.start === state.end) acks.push(id);
    else refusals.push({ id, reason: c.uint.decode(state), retryAfterMs: c.uint.decode(state) });
  };
  const messages = Array.from({ length: 5 }, (_, i) =>
    i === MSG.chat
      ? { encoding: c.raw, onmessage: (b: Uint8Array) => onChat(b) }
      : i === MSG.ack
        ? { encoding: c.raw, onmessage: onAck }
        : { encoding: c.raw },
  );
  let resolveOpen!: (b: Buffer) => void;
  const opened = new Promise<Buffer>((r) => {
    resolveOpen = r;
  });
  const chats: RawNative['chats'] = [];
  const channel = mux.createChannel({
    protocol: CAPABILITY,
    handshake: c.raw,
    messages,
    onopen: (h: Uint8Array) => resolveOpen(Buffer.from(h)),
  })!;
  const r: RawNative = {
    socket,
    stream,
    mux,
    channel,
    opened,
    chats,
    acks,
    refusals,
    publicKey: keyPair.publicKey,
  };
  onChat = (b: Uint8Array) => {
    const chat = decodeChat(b);
    chats.push(chat);
    if (opts.autoAck !== false) {
      const state = c.state();
      c.string.preencode(state, chat.id);
      state.buffer = Buffer.allocUnsafe(state.end);
      c.string.encode(state, chat.id);
      channel.messages[MSG.ack]!.send(state.buffer);
    }
  };
  if (opts.corkWith) {
    // the channel open, the hello and whatever follows leave in one protomux batch
    mux.cork();
    channel.open(hello);
    opts.corkWith(r);
    mux.uncork();
  } else {
    channel.open(hello);
  }
  return r;
}

/** Dial a peer, upgrade with CONNECT:<name>:<claimedPort>:peerchat/1, open the channel. */
export async function dialNative(
  port: number,
  opts: {
    name?: string;
    claimedPort: number;
    helloPort?: number;
    keyPair?: { publicKey: Buffer; secretKey: Buffer };
    corkWith?: (r: RawNative) => void;
    /** The hello's capabilities (default: `peerchat/1` alone, as a 0.1.0 peer says). */
    capabilities?: string[];
    /** The source address to dial from (another 127.x address plays another host). */
    localAddress?: string;
  },
): Promise<RawNative> {
  const socket = connect({
    port,
    host: LOOPBACK,
    ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
  });
  socket.on('error', () => {});
  const name = opts.name ?? 'raw';
  socket.write(`CONNECT:${name}:${opts.claimedPort}:${CAPABILITY}\n`);
  const leftover = await readLine(socket);
  if (leftover.length > 0) socket.unshift(leftover);
  const keyPair = opts.keyPair ?? crypto.keyPair();
  const stream = new SecretStream(true, socket, { keyPair });
  stream.on('error', () => {});
  await stream.opened;
  const hello = encodeHello({
    name,
    port: opts.helloPort ?? opts.claimedPort,
    capabilities: opts.capabilities,
  });
  return channelOn(stream, socket, keyPair, hello, opts);
}

/**
 * An impostor listening on `port`: answers CONNECT with an ACK carrying the capability, then
 * completes Noise with its own key and says `hello.port` in its hello.
 */
export async function impostorServer(
  port: number,
  hello: { name: string; port: number },
  onSession: (r: RawNative) => void = () => {},
): Promise<{ server: Server; keyPair: { publicKey: Buffer; secretKey: Buffer }; sessions: RawNative[] }> {
  const keyPair = crypto.keyPair();
  const sessions: RawNative[] = [];
  const server = createServer((socket) => {
    socket.on('error', () => {});
    void (async () => {
      const leftover = await readLine(socket).catch(() => null);
      if (leftover === null) return;
      socket.write(`ACK:${hello.name}:${hello.port}:${CAPABILITY}\n`);
      if (leftover.length > 0) socket.unshift(leftover);
      const stream = new SecretStream(false, socket, { keyPair });
      stream.on('error', () => {});
      const r = channelOn(stream, socket, keyPair, encodeHello(hello), {});
      sessions.push(r);
      onSession(r);
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, LOOPBACK, () => resolve());
  });
  return { server, keyPair, sessions };
}

/** Read up to the first "\n"; resolves with the bytes after it. */
function readLine(socket: Socket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const i = buf.indexOf(10);
      if (i < 0) return;
      socket.off('data', onData);
      socket.off('close', onClose);
      resolve(buf.subarray(i + 1));
    };
    const onClose = () => reject(new Error('closed before the line'));
    socket.on('data', onData);
    socket.once('close', onClose);
  });
}
