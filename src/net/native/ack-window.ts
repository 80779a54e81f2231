/**
 * The window of outgoing chats of one native session: each waits for its ack (one shared timeout),
 * at most MAX_IN_FLIGHT are written and not acked, and later ones wait their turn in order, so a
 * burst of sends never piles up in socket buffers (backpressure reaches the caller as a later ack).
 */
import { PeerchatError } from '../../errors.js';
import type { WireChat } from '../session.js';
import * as m from './messages.js';

/** Chats written and not acked yet, per session. */
export const MAX_IN_FLIGHT = 1024;

interface PendingAck {
  promise: Promise<void>;
  resolve: () => void;
  reject: (err: Error) => void;
  deadline: number;
  /** Written to the stream (else waiting for a slot in the window). */
  written: boolean;
}

export class AckWindow {
  private readonly acks = new Map<string, PendingAck>();
  private inFlight = 0;
  /** Chats waiting for a slot in the window, oldest first, from `head` on (shift() is O(n)). */
  private waiting: WireChat[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly timeoutMs: number,
    /** Write one chat to the session. */
    private readonly write: (chat: WireChat) => void,
  ) {}

  /** Resolves on the ack; the same id sent again while pending shares the first promise. */
  send(chat: WireChat): Promise<void> {
    let pending = this.acks.get(chat.id);
    if (!pending) {
      let resolve!: () => void;
      let reject!: (err: Error) => void;
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      pending = { promise, resolve, reject, deadline: Date.now() + this.timeoutMs, written: false };
      this.acks.set(chat.id, pending);
      if (!this.timer) this.schedule(this.timeoutMs);
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

  /** The remote acked `id`. False when no send waits for it (it timed out, or a duplicate). */
  acked(id: string): boolean {
    const pending = this.acks.get(id);
    if (!pending) return false;
    this.acks.delete(id);
    if (pending.written) this.inFlight--;
    pending.resolve();
    if (this.head < this.waiting.length) this.drain();
    return true;
  }

  /** The remote refused `id`: its send fails with `err`. False when no send waits for it. */
  refused(id: string, err: Error): boolean {
    const pending = this.acks.get(id);
    if (!pending) return false;
    this.acks.delete(id);
    if (pending.written) this.inFlight--;
    pending.reject(err);
    if (this.head < this.waiting.length) this.drain();
    return true;
  }

  /** The session closed: every pending send fails with `err`. */
  close(err: Error): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const pending of this.acks.values()) pending.reject(err);
    this.acks.clear();
    this.waiting = [];
    this.head = 0;
    this.inFlight = 0;
  }

  private writeChat(chat: WireChat, pending: PendingAck): void {
    if (!pending.written) {
      pending.written = true;
      this.inFlight++;
    }
    this.write(chat);
  }

  /** A slot in the window was freed: write what waits, in order. */
  private drain(): void {
    while (this.inFlight < MAX_IN_FLIGHT && this.head < this.waiting.length && !this.closed) {
      const chat = this.waiting[this.head++]!;
      const pending = this.acks.get(chat.id);
      if (pending && !pending.written) this.writeChat(chat, pending);
    }
    if (this.head === this.waiting.length) {
      this.waiting = [];
      this.head = 0;
    } else if (this.head > 4096 && this.head * 2 > this.waiting.length) {
      this.waiting = this.waiting.slice(this.head);
      this.head = 0;
    }
  }

  /** One timer for all pending acks: they share one timeout, so deadlines come in send order. */
  private schedule(ms: number): void {
    this.timer = setTimeout(() => this.sweep(), Math.max(ms, 1));
  }

  private sweep(): void {
    this.timer = null;
    const now = Date.now();
    let freed = false;
    for (const [id, pending] of this.acks) {
      if (pending.deadline > now) {
        this.schedule(pending.deadline - now);
        break;
      }
      this.acks.delete(id);
      if (pending.written) {
        this.inFlight--;
        freed = true;
      }
      pending.reject(new PeerchatError('ERR_ACK_TIMEOUT', `message ${id} was not acknowledged in time`));
    }
    if (this.head < this.waiting.length) {
      // timed-out chats that never got a slot leave the queue
      this.waiting = this.waiting.slice(this.head).filter((c) => this.acks.has(c.id));
      this.head = 0;
      if (freed) this.drain();
    }
  }
}

/** The remote refused a chat (it was not kept); `retryAfterMs`: when it may be sent again. */
export class RefusedError extends PeerchatError {
  constructor(
    id: string,
    readonly retryAfterMs: number,
    known: boolean,
  ) {
    super(
      known ? 'ERR_RATE_LIMITED' : 'ERR_REFUSED',
      `the peer refused message ${id}${known ? ': over its rate limit' : ''}; it may be sent again in ${retryAfterMs} ms`,
    );
  }
}

/** Why a chat of ours cannot be sent (a bad timestamp, text or id), or null. */
export function checkChat(chat: WireChat): PeerchatError | null {
  if (!Number.isSafeInteger(chat.ts) || chat.ts < 0) {
    return new PeerchatError('ERR_BAD_FRAME', `invalid timestamp ${chat.ts}`);
  }
  // byteLength only when the character count alone cannot rule the limit out
  if (chat.text.length * 3 > m.MAX_TEXT_BYTES && Buffer.byteLength(chat.text) > m.MAX_TEXT_BYTES) {
    return new PeerchatError(
      'ERR_MESSAGE_TOO_LONG',
      `native messages are limited to ${m.MAX_TEXT_BYTES} bytes`,
    );
  }
  if (
    chat.id.length === 0 ||
    (chat.id.length * 3 > m.MAX_ID_BYTES && Buffer.byteLength(chat.id) > m.MAX_ID_BYTES)
  ) {
    return new PeerchatError('ERR_BAD_FRAME', `message ids are 1 to ${m.MAX_ID_BYTES} bytes`);
  }
  return null;
}
