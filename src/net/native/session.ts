/**
 * A native session: Noise (secret-stream) over a socket or a ready NoiseSecretStream, one protomux
 * channel "peerchat/1", and the chat/ack, peers and exit messages on it. See docs/protocol.md.
 */
import { EventEmitter } from 'node:events';
import { Socket } from 'node:net';
import SecretStream from '@hyperswarm/secret-stream';
import Protomux from 'protomux';
import { isPeerchatError, PeerchatError } from '../../errors.js';
import type { DisconnectReason, PeerEntry } from '../../types.js';
import type { Hello, Session, SessionEvents, WireChat } from '../session.js';
import { GuardedSocket } from './guard.js';
import * as m from './messages.js';
import { MuxTransport } from './mux-transport.js';

export const PROTOCOL = 'peerchat/1';
/** The capability hint in the extra field of CONNECT/ACK that asks for the native upgrade. */
export const CAPABILITY = 'peerchat/1';

/** A corked batch is one secret-stream frame; uncork before it nears the guard's MAX_FRAME. */
const BATCH_BYTES = 64 * 1024;
/** exit(): how long to wait for the remote to close after our EXIT before destroying. */
const EXIT_LINGER_MS = 1000;
/** Peers requests from the remote that may wait for an answer at once; more are dropped. */
const MAX_PENDING_PEER_REQUESTS = 4;
/**
 * Chats held while nobody listens for 'chat' yet. The remote may send right after its ready, so
 * its hello and first chats can arrive in one read, before the Peer (which waits for `ready`, a
 * microtask later) attaches its listener. Beyond this many, the rest are dropped unacked.
 */
const MAX_EARLY_CHATS = 256;
/**
 * Chats written and not acked yet, per session. Later ones wait here until acks free a slot, so a
 * burst of sends never piles up in socket buffers (backpressure reaches the caller as a later ack).
 */
export const MAX_IN_FLIGHT = 1024;
/** Errors of bad input: the session closes with a 'warning' (after ready) or a rejected ready. */
const BAD_INPUT = new Set([
  'ERR_BAD_FRAME',
  'ERR_FRAME_TOO_LARGE',
  'ERR_UNKNOWN_MESSAGE',
  'ERR_CHANNEL_FLOOD',
  'ERR_PROTOCOL_VERSION',
  'ERR_HANDSHAKE_FAILED',
  'ERR_HANDSHAKE_TIMEOUT',
]);

export interface NativeTimeouts {
  /** Noise handshake + hello, from creation. At most 10 s. */
  handshake: number;
  /** Empty keepalive frames are sent this often when idle. */
  keepAlive: number;
  /** A session that received nothing for this long is closed as "lost". */
  session: number;
  /** sendChat rejects with ERR_ACK_TIMEOUT after this. */
  ack: number;
  /** requestPeers rejects with ERR_QUERY_TIMEOUT after this. */
  query: number;
}

export interface NativeSessionOptions {
  /** The dialer is the initiator. */
  isInitiator: boolean;
  keyPair: { publicKey: Buffer; secretKey: Buffer };
  /** What we tell the remote about ourselves. */
  hello: Hello;
  /** Bytes read from the socket past the upgrade line (ignored for a NoiseSecretStream). */
  leftover?: Buffer;
  timeouts: NativeTimeouts;
  /** Called once the remote key is known; an error refuses the session before any hello. */
  verifyKey?: (remoteKeyHex: string) => PeerchatError | null;
}

interface PendingAck {
  promise: Promise<void>;
  resolve: () => void;
  reject: (err: Error) => void;
  deadline: number;
  /** Written to the stream (else waiting for a slot in the window). */
  written: boolean;
}

interface PendingQuery {
  resolve: (entries: PeerEntry[]) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

// biome-ignore lint/suspicious/noExplicitAny: protomux message handles are untyped
type MessageHandle = { send(message: any): boolean };

export class NativeSession extends EventEmitter<SessionEvents> implements Session {
  readonly protocol = 'native' as const;
  readonly isInitiator: boolean;
  readonly remoteHost: string;
  /** Hex key of the remote, set once the Noise handshake completed. */
  remoteKey: string | null = null;
  remoteHello: Hello | null = null;
  /** Resolves with the remote hello once the session is authenticated and open. */
  readonly ready: Promise<Hello>;
  readonly stream: SecretStream;
  /** The allocation guard, when we run the handshake over a raw socket. */
  readonly guard: GuardedSocket | null;

  private readonly opts: NativeSessionOptions;
  private transport: MuxTransport | null = null;
  private mux: Protomux | null = null;
  private msgChat: MessageHandle | null = null;
  private msgAck: MessageHandle | null = null;
  private msgPeersRequest: MessageHandle | null = null;
  private msgPeersAnswer: MessageHandle | null = null;
  private msgExit: MessageHandle | null = null;

  private readonly acks = new Map<string, PendingAck>();
  /** Chats written and not acked yet (see MAX_IN_FLIGHT). */
  private inFlight = 0;
  /** Chats waiting for a slot in the window, oldest first. */
  private waiting: WireChat[] = [];
  private ackTimer: NodeJS.Timeout | null = null;
  private readonly queries = new Map<number, PendingQuery>();
  private nextRequestId = 1;
  private peerRequestsPending = 0;
  private early: Array<[WireChat, () => void]> = [];

  private corked = false;
  private batchBytes = 0;
  private readonly uncorkBound = this.uncork.bind(this);

  private isReady = false;
  private resolveReady!: (hello: Hello) => void;
  private rejectReady!: (err: Error) => void;
  private handshakeTimer: NodeJS.Timeout | null;
  private readonly foreignProtocols: string[] = [];
  private exiting = false;
  private _closed = false;
  /** Why we are closing, when we know better than the stream's own error. */
  private failure: PeerchatError | null = null;
  private streamError: Error | null = null;

  constructor(transport: Socket | SecretStream, opts: NativeSessionOptions) {
    super();
    this.opts = opts;
    this.isInitiator = opts.isInitiator;
    this.ready = new Promise<Hello>((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    this.ready.catch(() => {}); // the failure is also reported through 'close'
    // (SessionEvents does not list the emitter's own 'newListener' event)
    (this as EventEmitter).on('newListener', (event: string | symbol) => {
      // newListener fires before the listener is added: hand the held chats over just after
      if (event === 'chat' && this.early.length > 0) queueMicrotask(() => this.flushEarly());
    });

    if (transport instanceof Socket) {
      transport.setNoDelay(true);
      this.remoteHost = plainHost(transport.remoteAddress);
      this.guard = new GuardedSocket(transport, {
        isInitiator: opts.isInitiator,
        leftover: opts.leftover ?? null,
      });
      this.stream = new SecretStream(opts.isInitiator, this.guard, { keyPair: opts.keyPair });
    } else {
      const raw = transport.rawStream;
      this.remoteHost = plainHost(raw?.remoteHost ?? raw?.remoteAddress);
      this.guard = null;
      this.stream = transport;
    }

    this.stream.on('error', (err: Error) => {
      this.streamError ??= err;
    });
    this.stream.on('close', () => this.onStreamClose());
    this.handshakeTimer = setTimeout(() => this.onHandshakeTimeout(), opts.timeouts.handshake);

    if (this.stream.handshakeHash) queueMicrotask(() => this.onHandshake());
    else this.stream.once('handshake', () => this.onHandshake());
  }

  get closed(): boolean {
    return this._closed;
  }

  // ---- open ---------------------------------------------------------------------------------------

  private onHandshake(): void {
    if (this._closed || this.stream.destroying) return;
    const remote = this.stream.remotePublicKey;
    if (!remote)
      return this.fail(new PeerchatError('ERR_HANDSHAKE_FAILED', 'no remote key after the handshake'));
    this.remoteKey = remote.toString('hex');
    const refused = this.opts.verifyKey?.(this.remoteKey) ?? null;
    if (refused) return this.fail(refused);

    this.stream.setKeepAlive(this.opts.timeouts.keepAlive);
    this.stream.setTimeout(this.opts.timeouts.session);

    const transport = new MuxTransport(this.stream, {
      messageCount: m.MESSAGE_COUNT,
      onOpen: (protocol) => {
        if (protocol !== PROTOCOL && this.foreignProtocols.length < 4) this.foreignProtocols.push(protocol);
      },
    });
    transport.on('violation', (err: PeerchatError) => this.fail(err));
    this.transport = transport;
    const mux = new Protomux(transport);
    this.mux = mux;
    const channel = mux.createChannel<Hello | null>({
      protocol: PROTOCOL,
      handshake: m.safe(m.hello),
      messages: [
        { encoding: m.safe(m.chat), onmessage: (msg: WireChat | null) => this.onChat(msg) },
        { encoding: m.safe(m.ack), onmessage: (msg: m.Ack | null) => this.onAck(msg) },
        {
          encoding: m.safe(m.peersRequest),
          onmessage: (msg: m.PeersRequest | null) => this.onPeersRequest(msg),
        },
        {
          encoding: m.safe(m.peersAnswer),
          onmessage: (msg: m.PeersAnswer | null) => this.onPeersAnswer(msg),
        },
        { encoding: m.safe(m.exit), onmessage: (msg: m.Exit | null) => this.onExit(msg) },
      ],
      onopen: (hello) => this.onOpen(hello),
      onclose: () => this.onChannelClose(),
    });
    if (!channel)
      return this.fail(new PeerchatError('ERR_HANDSHAKE_FAILED', 'the channel could not be created'));
    const [chat, ackMsg, peersRequest, peersAnswer, exit] = channel.messages;
    this.msgChat = chat ?? null;
    this.msgAck = ackMsg ?? null;
    this.msgPeersRequest = peersRequest ?? null;
    this.msgPeersAnswer = peersAnswer ?? null;
    this.msgExit = exit ?? null;
    channel.open(this.opts.hello);
  }

  private onOpen(hello: Hello | null): void {
    if (this._closed) return;
    if (!hello) return this.fail(new PeerchatError('ERR_BAD_FRAME', 'malformed hello'));
    this.remoteHello = hello;
    this.isReady = true;
    this.clearHandshakeTimer();
    this.resolveReady(hello);
    this.emit('hello', hello);
  }

  /**
   * The channel closed while the stream lives on: before it opened, the remote rejected it (it does
   * not speak our protocol version); after, the remote closed it without EXIT.
   */
  private onChannelClose(): void {
    if (this._closed || this.stream.destroying || this.stream.destroyed) return;
    if (!this.isReady) return this.fail(this.versionError());
    this.destroy('lost', new PeerchatError('ERR_DISCONNECTED', 'the peer closed the channel without EXIT'));
  }

  private versionError(): PeerchatError {
    const theirs = this.foreignProtocols.filter((p) => p.startsWith('peerchat/'));
    const what = theirs.length > 0 ? `speaks ${theirs.join(', ')}` : `did not open ${PROTOCOL}`;
    return new PeerchatError('ERR_PROTOCOL_VERSION', `the peer ${what}; this peer speaks ${PROTOCOL}`);
  }

  private onHandshakeTimeout(): void {
    this.handshakeTimer = null;
    if (this._closed || this.isReady) return;
    const ms = this.opts.timeouts.handshake;
    if (this.foreignProtocols.some((p) => p.startsWith('peerchat/'))) return this.fail(this.versionError());
    const stage = this.remoteKey ? 'no hello arrived' : 'the Noise handshake did not complete';
    this.fail(new PeerchatError('ERR_HANDSHAKE_TIMEOUT', `${stage} within ${ms} ms`));
  }

  private clearHandshakeTimer(): void {
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    this.handshakeTimer = null;
  }

  // ---- incoming -----------------------------------------------------------------------------------

  private onChat(chat: WireChat | null): void {
    if (!chat) return this.fail(new PeerchatError('ERR_BAD_FRAME', 'malformed chat message'));
    const ack = () => this.sendAck(chat.id);
    // held while nobody listens, and behind earlier held ones, so the order stays the same
    if (this.early.length > 0 || this.listenerCount('chat') === 0) {
      if (this.early.length < MAX_EARLY_CHATS) this.early.push([chat, ack]);
      return;
    }
    this.emit('chat', chat, ack);
  }

  private flushEarly(): void {
    const held = this.early;
    this.early = [];
    for (const [chat, ack] of held) {
      if (this._closed) return;
      this.emit('chat', chat, ack);
    }
  }

  private sendAck(id: string): void {
    if (this._closed || !this.msgAck) return;
    this.send(this.msgAck, { id }, id.length * 3 + 8);
  }

  private onAck(ack: m.Ack | null): void {
    if (!ack) return this.fail(new PeerchatError('ERR_BAD_FRAME', 'malformed ack'));
    const pending = this.acks.get(ack.id);
    if (!pending) {
      this.emit('late-ack', ack.id); // after its timeout, or a duplicate: the outbox checks the id
      return;
    }
    this.acks.delete(ack.id);
    if (pending.written) this.inFlight--;
    pending.resolve();
    if (this.waiting.length > 0) this.drainWaiting();
  }

  private onPeersRequest(req: m.PeersRequest | null): void {
    if (!req) return this.fail(new PeerchatError('ERR_BAD_FRAME', 'malformed peers request'));
    if (this.peerRequestsPending >= MAX_PENDING_PEER_REQUESTS) return;
    this.peerRequestsPending++;
    let answered = false;
    const reply = (entries: PeerEntry[]): void => {
      if (answered) return;
      answered = true;
      this.peerRequestsPending--;
      if (this._closed || !this.msgPeersAnswer) return;
      const answer = { requestId: req.requestId, entries: toWireEntries(entries) };
      this.send(this.msgPeersAnswer, answer, m.encodingLength(m.peersAnswer, answer));
    };
    if (!this.emit('peers-request', reply)) reply([]);
  }

  private onPeersAnswer(answer: m.PeersAnswer | null): void {
    if (!answer) return this.fail(new PeerchatError('ERR_BAD_FRAME', 'malformed peers answer'));
    const query = this.queries.get(answer.requestId);
    if (!query) {
      this.emit('warning', {
        code: 'ERR_UNSOLICITED_PEERLIST',
        message: 'a peers answer arrived without a request',
      });
      return;
    }
    this.queries.delete(answer.requestId);
    clearTimeout(query.timer);
    query.resolve(
      answer.entries.map((e) => ({
        address: e.address,
        key: e.key ? e.key.toString('hex') : null,
        name: e.name,
      })),
    );
  }

  private onExit(msg: m.Exit | null): void {
    if (this._closed) return;
    if (!msg) return this.fail(new PeerchatError('ERR_BAD_FRAME', 'malformed exit'));
    this.emit('exit');
    this.finish('exit');
    this.stream.destroy();
  }

  // ---- outgoing -----------------------------------------------------------------------------------

  sendChat(chat: WireChat): Promise<void> {
    if (this._closed || !this.isReady || !this.msgChat) {
      const why = this._closed ? 'the session is closed' : 'the session is not open yet';
      return Promise.reject(new PeerchatError('ERR_DISCONNECTED', why));
    }
    if (!Number.isSafeInteger(chat.ts) || chat.ts < 0) {
      return Promise.reject(new PeerchatError('ERR_BAD_FRAME', `invalid timestamp ${chat.ts}`));
    }
    // byteLength only when the character count alone cannot rule the limit out
    if (chat.text.length * 3 > m.MAX_TEXT_BYTES && Buffer.byteLength(chat.text) > m.MAX_TEXT_BYTES) {
      return Promise.reject(
        new PeerchatError('ERR_MESSAGE_TOO_LONG', `native messages are limited to ${m.MAX_TEXT_BYTES} bytes`),
      );
    }
    if (
      chat.id.length === 0 ||
      (chat.id.length * 3 > m.MAX_ID_BYTES && Buffer.byteLength(chat.id) > m.MAX_ID_BYTES)
    ) {
      return Promise.reject(
        new PeerchatError('ERR_BAD_FRAME', `message ids are 1 to ${m.MAX_ID_BYTES} bytes`),
      );
    }
    let pending = this.acks.get(chat.id);
    if (!pending) {
      let resolve!: () => void;
      let reject!: (err: Error) => void;
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      pending = { promise, resolve, reject, deadline: Date.now() + this.opts.timeouts.ack, written: false };
      this.acks.set(chat.id, pending);
      if (!this.ackTimer) this.scheduleAckSweep(this.opts.timeouts.ack);
      if (this.inFlight >= MAX_IN_FLIGHT) {
        this.waiting.push(chat);
        return pending.promise;
      }
    } else if (!pending.written) {
      return pending.promise; // already waiting for a slot
    }
    this.writeChat(chat, pending);
    return pending.promise;
  }

  private writeChat(chat: WireChat, pending: PendingAck): void {
    if (!pending.written) {
      pending.written = true;
      this.inFlight++;
    }
    if (this.msgChat) this.send(this.msgChat, chat, (chat.id.length + chat.text.length) * 3 + 24);
  }

  /** A slot in the window was freed: write what waits, in order. */
  private drainWaiting(): void {
    while (this.inFlight < MAX_IN_FLIGHT && this.waiting.length > 0 && !this._closed) {
      const chat = this.waiting.shift()!;
      const pending = this.acks.get(chat.id);
      if (pending && !pending.written) this.writeChat(chat, pending);
    }
  }

  requestPeers(): Promise<PeerEntry[]> {
    if (this._closed || !this.isReady || !this.msgPeersRequest) {
      return Promise.reject(new PeerchatError('ERR_DISCONNECTED', 'the session is not open'));
    }
    const requestId = this.nextRequestId++;
    const ms = this.opts.timeouts.query;
    return new Promise<PeerEntry[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.queries.delete(requestId);
        reject(new PeerchatError('ERR_QUERY_TIMEOUT', `no peers answer within ${ms} ms`));
      }, ms);
      this.queries.set(requestId, { resolve, reject, timer });
      if (this.msgPeersRequest) this.send(this.msgPeersRequest, { requestId }, 16);
    });
  }

  async exit(): Promise<void> {
    if (this._closed) return;
    this.exiting = true;
    if (this.isReady && this.msgExit) {
      this.uncork();
      this.msgExit.send({});
      this.writeBatch(); // end() below must find EXIT written, not waiting in a batch
      // end() writes what is queued, then FIN; the remote answers EXIT by closing
      this.stream.end();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, EXIT_LINGER_MS);
        this.stream.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    this.destroy('closed');
  }

  destroy(reason: DisconnectReason = 'closed', err?: Error): void {
    if (this._closed) return;
    this.finish(reason, err);
    this.stream.destroy();
  }

  // ---- batching -----------------------------------------------------------------------------------

  /**
   * Every message goes out here. The mux stays corked until the event loop turns, so a burst goes
   * out in few writes; `bytes` (an upper bound of the encoded size) keeps each batch under
   * BATCH_BYTES, since the remote's guard refuses frames over MAX_FRAME.
   */
  private send(handle: MessageHandle, message: unknown, bytes: number): void {
    const mux = this.mux;
    if (!mux) return;
    if (!this.corked) {
      mux.cork();
      this.corked = true;
      this.batchBytes = 0;
      setImmediate(this.uncorkBound);
    } else if (this.batchBytes + bytes > BATCH_BYTES) {
      this.writeBatch();
    }
    this.batchBytes += bytes;
    handle.send(message);
  }

  /** Write the corked batch now. protomux corks too (while it reads a batch): unwind every level. */
  private writeBatch(): void {
    const mux = this.mux;
    if (!mux) return;
    const levels = mux.corked;
    for (let i = 0; i < levels; i++) mux.uncork();
    for (let i = 0; i < levels; i++) mux.cork();
    this.batchBytes = 0;
  }

  private uncork(): void {
    if (!this.corked) return;
    this.corked = false;
    this.mux?.uncork();
  }

  // ---- timers -------------------------------------------------------------------------------------

  /** One timer for all pending acks: they share one timeout, so deadlines come in send order. */
  private scheduleAckSweep(ms: number): void {
    this.ackTimer = setTimeout(() => this.sweepAcks(), Math.max(ms, 1));
  }

  private sweepAcks(): void {
    this.ackTimer = null;
    const now = Date.now();
    let freed = false;
    for (const [id, pending] of this.acks) {
      if (pending.deadline > now) {
        this.scheduleAckSweep(pending.deadline - now);
        break;
      }
      this.acks.delete(id);
      if (pending.written) {
        this.inFlight--;
        freed = true;
      }
      pending.reject(new PeerchatError('ERR_ACK_TIMEOUT', `message ${id} was not acknowledged in time`));
    }
    if (this.waiting.length > 0) {
      // timed-out chats that never got a slot leave the queue
      this.waiting = this.waiting.filter((c) => this.acks.has(c.id));
      if (freed) this.drainWaiting();
    }
  }

  // ---- close --------------------------------------------------------------------------------------

  /** Close because of bad input or a refused key. */
  private fail(err: PeerchatError): void {
    if (this._closed) return;
    this.failure = err;
    this.finish('lost', err);
    this.stream.destroy(err);
  }

  private onStreamClose(): void {
    if (this._closed) return;
    if (this.exiting) return this.finish('closed');
    this.finish('lost', this.describeLoss());
  }

  /** A coded error for a stream that closed on its own. */
  private describeLoss(): PeerchatError {
    const err = this.guard?.violation ?? this.transport?.violation ?? this.streamError;
    if (isPeerchatError(err)) return err;
    if (!this.remoteKey) {
      return new PeerchatError('ERR_HANDSHAKE_FAILED', `the encrypted handshake failed${suffix(err)}`, {
        cause: err,
      });
    }
    if (err?.message === 'Stream timed out') {
      return new PeerchatError('ERR_IDLE_TIMEOUT', `nothing received for ${this.opts.timeouts.session} ms`, {
        cause: err,
      });
    }
    if (!this.isReady) {
      return new PeerchatError(
        'ERR_HANDSHAKE_FAILED',
        `the connection closed before the hello${suffix(err)}`,
        {
          cause: err,
        },
      );
    }
    return new PeerchatError('ERR_DISCONNECTED', `the connection was lost${suffix(err)}`, { cause: err });
  }

  private finish(reason: DisconnectReason, err?: Error): void {
    if (this._closed) return;
    this._closed = true;
    this.clearHandshakeTimer();
    if (this.ackTimer) clearTimeout(this.ackTimer);
    this.ackTimer = null;
    if (this.corked) {
      this.corked = false;
      this.mux?.uncork();
    }
    const gone = (what: string) => new PeerchatError('ERR_DISCONNECTED', `the session closed before ${what}`);
    for (const pending of this.acks.values()) pending.reject(gone('the ack arrived'));
    this.acks.clear();
    this.waiting = [];
    this.inFlight = 0;
    for (const query of this.queries.values()) {
      clearTimeout(query.timer);
      query.reject(gone('the peers answer arrived'));
    }
    this.queries.clear();

    const error = err ?? this.failure ?? undefined;
    if (!this.isReady) {
      this.rejectReady(
        error ?? new PeerchatError('ERR_HANDSHAKE_FAILED', 'the session closed before it opened'),
      );
    } else if (isPeerchatError(error) && BAD_INPUT.has(error.code) && reason === 'lost') {
      this.emit('warning', { code: error.code, message: error.message });
    }
    this.emit('close', reason, error);
  }
}

/** Create a native session over an upgraded socket or a NoiseSecretStream that Hyperswarm handed us. */
export function createNativeSession(
  transport: Socket | SecretStream,
  opts: NativeSessionOptions,
): NativeSession {
  return new NativeSession(transport, opts);
}

function toWireEntries(entries: PeerEntry[]): m.WireEntry[] {
  const out: m.WireEntry[] = [];
  for (const e of entries) {
    if (out.length >= m.MAX_PEER_ENTRIES) break;
    if (Buffer.byteLength(e.address) > m.MAX_ADDRESS_BYTES) continue;
    const key = e.key && /^[0-9a-f]{64}$/i.test(e.key) ? Buffer.from(e.key, 'hex') : null;
    const name = e.name !== null && Buffer.byteLength(e.name) <= m.MAX_NAME_BYTES ? e.name : null;
    out.push({ address: e.address, key, name });
  }
  return out;
}

function plainHost(host: string | undefined): string {
  if (!host) return '';
  return host.startsWith('::ffff:') ? host.slice(7) : host;
}

function suffix(err: Error | null | undefined): string {
  return err?.message ? `: ${err.message}` : '';
}
