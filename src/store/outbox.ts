/**
 * Delivery logic on top of the Store, independent of the Peer class: store first, then write; resend
 * with the same id on every new session with the key until acked; classic sends are written once.
 * At-least-once on the wire; the receiver's recordIncoming() de-duplicates, so exactly-once for the user.
 */
import type { ChatMessage, SendResult } from '../types.js';
import type { Store, StoredMessage } from './store.js';

export const DEFAULT_ACK_WAIT_MS = 10_000; // send({ wait: true }) gives up waiting (the message stays queued)
export const DEFAULT_EXPIRE_INTERVAL_MS = 60_000; // how often expired messages are failed

/** Write one message to a session; resolve (or return) once written, not once acked. */
export type WriteFn = (msg: ChatMessage) => void | Promise<void>;

export interface DeliveryOptions {
  /** @default 10000 */
  ackWaitMs?: number;
  /** @default 60000 */
  expireIntervalMs?: number;
  /** Called for each message that expired (marked failed); emit an event from here. */
  onExpired?: (msg: StoredMessage) => void;
  /** Called when a write to a session fails (the message stays queued). */
  onWriteError?: (msg: ChatMessage, err: unknown) => void;
}

interface Attached {
  write: WriteFn;
  /** Ids written on this session and not acked: not written twice on the same session. */
  inFlight: Set<string>;
}

interface Waiter {
  resolve: (r: SendResult) => void;
  timer: NodeJS.Timeout;
  msg: ChatMessage;
}

export class Outbox {
  private readonly sessions = new Map<string, Attached>();
  private readonly waiters = new Map<string, Waiter>();
  private readonly ackWaitMs: number;
  private readonly expireTimer: NodeJS.Timeout;

  constructor(
    private readonly store: Store,
    private readonly opts: DeliveryOptions = {},
  ) {
    this.ackWaitMs = opts.ackWaitMs ?? DEFAULT_ACK_WAIT_MS;
    this.expireTimer = setInterval(
      () => this.expireNow(),
      opts.expireIntervalMs ?? DEFAULT_EXPIRE_INTERVAL_MS,
    );
    this.expireTimer.unref();
  }

  /** A native session with `peerKey` is up: resend what is queued for it, oldest first. Returns those. */
  attach(peerKey: string, write: WriteFn): StoredMessage[] {
    const entry: Attached = { write, inFlight: new Set() };
    this.sessions.set(peerKey, entry);
    const queued = this.store.queuedFor(peerKey);
    // written back to back, without awaiting, so they keep their order on the stream
    for (const msg of queued) this.writeTo(entry, msg);
    return queued;
  }

  /** The session closed. Pass its `write` so a newer session with the same key is left alone. */
  detach(peerKey: string, write?: WriteFn): void {
    const entry = this.sessions.get(peerKey);
    if (entry && (write === undefined || entry.write === write)) this.sessions.delete(peerKey);
  }

  /**
   * Native send: stored as queued (ERR_OUTBOX_FULL), then written if a session with the key is up.
   * wait false: resolves once queued. wait true: resolves 'acked' when the ack is committed, or
   * 'queued' after ackWaitMs (it is still resent), or 'failed' if it expired meanwhile.
   */
  async send(msg: ChatMessage, peerKey: string, opts: { wait?: boolean } = {}): Promise<SendResult> {
    // the waiter exists before the commit, so an expiry right after it cannot be missed
    const waiting = opts.wait === false ? null : this.waitFor(msg);
    try {
      await this.store.enqueue(msg, peerKey);
    } catch (err) {
      this.cancel(msg.id);
      throw err;
    }
    const entry = this.sessions.get(peerKey);
    if (entry) this.writeTo(entry, msg);
    return waiting ?? result(msg, 'queued');
  }

  /** Classic send: stored, written once, then marked sent; a failed write is marked failed and rethrown. */
  async sendClassic(msg: ChatMessage, write: WriteFn): Promise<SendResult> {
    await this.store.enqueue(msg, null);
    try {
      await write(msg);
    } catch (err) {
      await this.store.markFailed(msg.id, err instanceof Error ? err.message : String(err)).catch(() => {});
      throw err;
    }
    await this.store.markSent(msg.id);
    return result(msg, 'sent');
  }

  /** An ack arrived for `id`: mark it acked (after commit) and settle a waiting send. */
  async ack(id: string): Promise<void> {
    for (const s of this.sessions.values()) s.inFlight.delete(id);
    await this.store.markAcked(id);
    this.settle(id, 'acked');
  }

  /** Fail expired messages now (also runs every expireIntervalMs). */
  expireNow(now?: number): StoredMessage[] {
    let expired: StoredMessage[];
    try {
      expired = this.store.expire(now);
    } catch {
      return []; // the store is closed or read-only
    }
    for (const msg of expired) {
      for (const s of this.sessions.values()) s.inFlight.delete(msg.id);
      this.settle(msg.id, 'failed', msg.error ?? 'expired');
      this.opts.onExpired?.(msg);
    }
    return expired;
  }

  /** Stop the expiry timer; waiting sends resolve 'queued'. */
  close(): void {
    clearInterval(this.expireTimer);
    for (const id of [...this.waiters.keys()]) this.settle(id, 'queued');
    this.sessions.clear();
  }

  private writeTo(entry: Attached, msg: ChatMessage): void {
    if (entry.inFlight.has(msg.id)) return;
    entry.inFlight.add(msg.id);
    const onError = (err: unknown) => {
      entry.inFlight.delete(msg.id); // stays queued: resent on the next session
      this.opts.onWriteError?.(msg, err);
    };
    try {
      const p = entry.write(msg);
      if (p) p.catch(onError);
    } catch (err) {
      onError(err);
    }
  }

  private waitFor(msg: ChatMessage): Promise<SendResult> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.settle(msg.id, 'queued'), this.ackWaitMs);
      this.waiters.set(msg.id, { resolve, timer, msg });
    });
  }

  private cancel(id: string): void {
    const w = this.waiters.get(id);
    if (w) clearTimeout(w.timer);
    this.waiters.delete(id);
  }

  private settle(id: string, state: SendResult['state'], error?: string): void {
    const w = this.waiters.get(id);
    if (!w) return;
    this.waiters.delete(id);
    clearTimeout(w.timer);
    const r = result(w.msg, state);
    if (state === 'queued')
      r.error = 'not acknowledged yet; it stays queued and is resent on the next session';
    if (error !== undefined) r.error = error;
    w.resolve(r);
  }
}

function result(msg: ChatMessage, state: SendResult['state']): SendResult {
  return { id: msg.id, to: msg.from, protocol: msg.protocol, state };
}
