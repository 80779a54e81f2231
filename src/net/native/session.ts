/**
 * A native session: Noise (secret-stream) over a socket or a ready NoiseSecretStream, one protomux
 * channel "peerchat/1", and the chat/ack, peers and exit messages on it. See docs/protocol.md.
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type SecretStream from '@hyperswarm/secret-stream';
import Protomux from 'protomux';
import { isPeerchatError, PeerchatError } from '../../errors.js';
import type { DisconnectReason, PeerEntry } from '../../types.js';
import type { Hello, Session, SessionEvents, WireChat } from '../session.js';
import { AckWindow, checkChat } from './ack-window.js';
import { type ChatChannel, createChatChannel } from './channel.js';
import { EARLY_FULL_RETRY_MS, EarlyChats } from './early-chats.js';
import type { GuardedSocket } from './guard.js';
import { ForeignProtocols, ownHello, PROTOCOL, readsRefusals } from './hello.js';
import { BAD_INPUT, describeLoss } from './loss.js';
import * as m from './messages.js';
import { MuxTransport } from './mux-transport.js';
import { noiseStream } from './noise-stream.js';
import { PeerQueries } from './peer-queries.js';
import { ackFor, peersReplyFor, type Reply, refusalOf } from './replies.js';
import type { NativeSessionOptions } from './session-options.js';
import {
  BatchWriter,
  type MessageHandle,
  OWN_BUDGET_BYTES,
  REPLY_BUDGET_BYTES,
  unreadBytes,
} from './writer.js';

export { MAX_IN_FLIGHT, RefusedError } from './ack-window.js';
export { CAPABILITY, PROTOCOL, REFUSAL_CAPABILITY } from './hello.js';
export type { NativeSessionOptions, NativeTimeouts } from './session-options.js';

/** exit(): how long to wait for the remote to close after our EXIT before destroying. */
const EXIT_LINGER_MS = 1000;

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
  /** The session's protomux, once the Noise handshake is done: other protocols (room logs) share it. */
  mux: Protomux | null = null;
  private channel: ChatChannel | null = null;

  private readonly window: AckWindow;
  private writer: BatchWriter | null = null;
  private readonly queries: PeerQueries;
  private readonly early = new EarlyChats();

  private isReady = false;
  private resolveReady!: (hello: Hello) => void;
  private rejectReady!: (err: Error) => void;
  private handshakeTimer: NodeJS.Timeout | null;
  private readonly foreign = new ForeignProtocols();
  private exiting = false;
  private _closed = false;
  /** Why we are closing, when we know better than the stream's own error. */
  private failure: PeerchatError | null = null;
  private streamError: Error | null = null;

  constructor(transport: Socket | SecretStream, opts: NativeSessionOptions) {
    super();
    this.opts = opts;
    this.isInitiator = opts.isInitiator;
    this.queries = new PeerQueries(opts.timeouts.query);
    this.window = new AckWindow(opts.timeouts.ack, (chat) => {
      if (this.channel)
        this.send(this.channel.chat, chat, (chat.id.length + chat.text.length) * 3 + 24, OWN_BUDGET_BYTES);
    });
    this.ready = new Promise<Hello>((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    this.ready.catch(() => {}); // the failure is also reported through 'close'
    // (SessionEvents does not list the emitter's own 'newListener' event)
    (this as EventEmitter).on('newListener', (event: string | symbol) => {
      // newListener fires before the listener is added: hand the held chats over just after
      if (event === 'chat' && this.early.holding) queueMicrotask(() => this.flushEarly());
    });

    ({ stream: this.stream, guard: this.guard, remoteHost: this.remoteHost } = noiseStream(transport, opts));

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
      protocol: PROTOCOL,
      channels: this.opts.channels ?? null,
      onOpen: (protocol) => this.foreign.note(protocol),
    });
    transport.on('violation', (err: PeerchatError) => this.fail(err));
    this.transport = transport;
    const mux = new Protomux(transport);
    this.mux = mux;
    this.writer = new BatchWriter(
      mux,
      () => unreadBytes(this.stream, this.guard?.socket ?? null),
      (unread, budget) =>
        this.fail(
          new PeerchatError(
            'ERR_OUTPUT_BUDGET',
            `the peer does not read: ${unread} bytes unread, the budget is ${budget}; session closed`,
          ),
        ),
    );
    const channel = createChatChannel(mux, {
      open: (hello) => this.onOpen(hello),
      close: () => this.onChannelClose(),
      chat: (msg) => this.onChat(msg),
      ack: (msg) => this.onAck(msg),
      peersRequest: (msg) => this.onPeersRequest(msg),
      peersAnswer: (msg) => this.onPeersAnswer(msg),
      exit: (msg) => this.onExit(msg),
    });
    if (!channel)
      return this.fail(new PeerchatError('ERR_HANDSHAKE_FAILED', 'the channel could not be created'));
    this.channel = channel;
    channel.open(ownHello(this.opts.hello));
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
    if (!this.isReady) return this.fail(this.foreign.versionError());
    this.destroy('lost', new PeerchatError('ERR_DISCONNECTED', 'the peer closed the channel without EXIT'));
  }

  private onHandshakeTimeout(): void {
    this.handshakeTimer = null;
    if (this._closed || this.isReady) return;
    this.fail(this.foreign.timeoutError(this.remoteKey !== null, this.opts.timeouts.handshake));
  }

  private clearHandshakeTimer(): void {
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    this.handshakeTimer = null;
  }

  // ---- incoming -----------------------------------------------------------------------------------

  private onChat(chat: WireChat | null): void {
    if (!chat) return this.fail(new PeerchatError('ERR_BAD_FRAME', 'malformed chat message'));
    const ack = ackFor(
      chat.id,
      () => readsRefusals(this.remoteHello),
      (reply) => this.reply(this.channel?.ack, reply),
    );
    // held while nobody listens, and behind earlier held ones, so the order stays the same
    if (this.early.holding || this.listenerCount('chat') === 0) {
      // past the cap: dropped, and refused (with a wait) to a sender that reads refusals, so it
      // resends soon instead of after its ack timeout
      if (!this.early.hold(chat, ack)) ack({ reason: 'rate-limited', retryAfterMs: EARLY_FULL_RETRY_MS });
      return;
    }
    this.emit('chat', chat, ack);
  }

  private flushEarly(): void {
    this.early.drain((chat, ack) => {
      if (this._closed) return false;
      this.emit('chat', chat, ack);
      return true;
    });
  }

  private onAck(ack: m.Ack | null): void {
    if (!ack) return this.fail(new PeerchatError('ERR_BAD_FRAME', 'malformed ack'));
    const refused = refusalOf(ack);
    // a refusal of nothing pending (timed out, or a made-up id) changes nothing
    if (refused) {
      this.window.refused(ack.id, refused);
      return;
    }
    // after its timeout, or a duplicate: the outbox checks the id
    if (!this.window.acked(ack.id)) this.emit('late-ack', ack.id);
  }

  private onPeersRequest(req: m.PeersRequest | null): void {
    if (!req) return this.fail(new PeerchatError('ERR_BAD_FRAME', 'malformed peers request'));
    // over the rate: answered when a token frees (a few), else dropped (peer-queries.ts)
    this.queries.admitRequest(() => {
      const reply = peersReplyFor(req.requestId, (answer) => this.reply(this.channel?.peersAnswer, answer));
      if (!this.emit('peers-request', reply)) reply([]);
    });
  }

  private onPeersAnswer(answer: m.PeersAnswer | null): void {
    if (!answer) return this.fail(new PeerchatError('ERR_BAD_FRAME', 'malformed peers answer'));
    if (!this.queries.answered(answer)) {
      this.emit('warning', {
        code: 'ERR_UNSOLICITED_PEERLIST',
        message: 'a peers answer arrived without a request',
      });
    }
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
    if (this._closed || !this.isReady || !this.channel) {
      const why = this._closed ? 'the session is closed' : 'the session is not open yet';
      return Promise.reject(new PeerchatError('ERR_DISCONNECTED', why));
    }
    const bad = checkChat(chat);
    if (bad) return Promise.reject(bad);
    return this.window.send(chat);
  }

  requestPeers(): Promise<PeerEntry[]> {
    if (this._closed || !this.isReady || !this.channel) {
      return Promise.reject(new PeerchatError('ERR_DISCONNECTED', 'the session is not open'));
    }
    return this.queries.request((requestId) => {
      if (this.channel) this.send(this.channel.peersRequest, { requestId }, 16, OWN_BUDGET_BYTES);
    });
  }

  async exit(): Promise<void> {
    if (this._closed) return;
    this.exiting = true;
    if (this.isReady && this.channel) {
      this.writer?.uncork();
      this.channel.exit.send({});
      this.writer?.flush(); // end() below must find EXIT written, not waiting in a batch
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

  // ---- output -----------------------------------------------------------------------------------

  /** Every message goes out through the writer (batched, within the output budget). */
  private send(handle: MessageHandle, message: unknown, bytes: number, budget: number): void {
    this.writer?.send(handle, message, bytes, budget);
  }

  /** What the remote asked for (acks, peers answers): nothing once closed, within the reply budget. */
  private reply<T>(handle: MessageHandle | undefined, reply: Reply<T>): void {
    if (this._closed || !handle) return;
    this.send(handle, reply.message, reply.bytes, REPLY_BUDGET_BYTES);
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
    this.finish(
      'lost',
      describeLoss({
        violation: this.guard?.violation ?? this.transport?.violation ?? null,
        streamError: this.streamError,
        authenticated: this.remoteKey !== null,
        ready: this.isReady,
        sessionMs: this.opts.timeouts.session,
      }),
    );
  }

  private finish(reason: DisconnectReason, err?: Error): void {
    if (this._closed) return;
    this._closed = true;
    this.clearHandshakeTimer();
    this.writer?.uncork();
    const gone = (what: string) => new PeerchatError('ERR_DISCONNECTED', `the session closed before ${what}`);
    this.window.close(gone('the ack arrived'));
    this.queries.close(gone('the peers answer arrived'));

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
