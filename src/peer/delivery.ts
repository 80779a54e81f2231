/**
 * Delivery of outgoing messages: native messages through the durable outbox (stored as queued,
 * acked on the ack, resent with the same id on the next session with that key), classic
 * messages written once and never retried.
 */
import { PeerchatError } from '../errors.js';
import { sendOneShot } from '../net/classic/client.js';
import { encodeFrame, ORIGINAL_READ_BYTES } from '../net/classic/codec.js';
import type { Session } from '../net/session.js';
import type { Store, StoredMessage } from '../store/store.js';
import type { ChatMessage, SendResult } from '../types.js';
import type { SendOptions } from './api.js';
import type { PeerRecord, PeerTable } from './table.js';

/** Native chat text limit (bytes); classic texts are limited by the original's 1024-byte read. */
export const MAX_TEXT_BYTES = 16 * 1024;

/** What delivery needs from the Peer. */
export interface DeliveryHost {
  readonly table: PeerTable;
  /** Our name and listening port, for classic frames. */
  local(): { name: string; port: number };
  connectTimeoutMs(): number;
  report(err: unknown, context: string): void;
  /** An outgoing message expired in the outbox. */
  expired(msg: ChatMessage, error: string): void;
}

export class Delivery {
  /** Outgoing native ids written to a session and not acked yet: never resent twice at once. */
  private readonly inflight = new Set<string>();

  constructor(
    readonly store: Store | null,
    private readonly host: DeliveryHost,
  ) {}

  async deliver(
    rec: PeerRecord,
    session: Session | null,
    msg: ChatMessage,
    opts: SendOptions,
  ): Promise<SendResult> {
    const base = { id: msg.id, to: rec.address, protocol: msg.protocol };
    if (msg.protocol === 'native') {
      if (Buffer.byteLength(msg.text) > MAX_TEXT_BYTES) {
        throw new PeerchatError(
          'ERR_MESSAGE_TOO_LONG',
          `message is ${Buffer.byteLength(msg.text)} bytes; the limit is ${MAX_TEXT_BYTES}`,
        );
      }
      const store = this.store;
      if (store) await store.enqueue(msg, msg.key);
      // a session with this key may have opened while the row committed (its outbox flush ran
      // before the row existed), under this address or another: without this it waits for the next one
      const live = session && !session.closed ? session : store ? this.sessionFor(msg.key) : null;
      if (!live) return { ...base, state: 'queued' };
      const acked = this.transmit(live, msg);
      if (opts.wait === false) {
        acked.catch((err) => {
          if (!store) this.host.report(err, `message ${msg.id} to ${rec.address} was not acknowledged`);
        });
        return { ...base, state: 'queued' };
      }
      try {
        await acked;
      } catch (err) {
        // with a store the message stays queued and is resent on the next session with this key
        if (!store) throw err;
        return { ...base, state: 'queued', error: errorMessage(err) };
      }
      return { ...base, state: 'acked' };
    }
    const { name, port } = this.host.local();
    checkClassicText(name, port, msg.text);
    await this.store?.enqueue(msg, null);
    try {
      if (session) await session.sendChat({ id: msg.id, ts: msg.ts, text: msg.text });
      else
        await sendOneShot(
          rec.host,
          rec.port,
          { verb: 'MESSAGE', name, port, text: msg.text },
          this.host.connectTimeoutMs(),
        );
    } catch (err) {
      await this.store?.markFailed(msg.id, errorMessage(err));
      throw err;
    }
    await this.store?.markSent(msg.id);
    return { ...base, state: 'sent' };
  }

  /** Resend, with the same ids, what the outbox holds for this peer's key. */
  flush(rec: PeerRecord, session: Session): void {
    const store = this.store;
    if (!store || !rec.key) return;
    for (const m of store.queuedFor(rec.key)) {
      if (this.inflight.has(m.id)) continue;
      this.transmit(session, m).catch(() => {}); // still queued: the next session tries again
    }
  }

  /** Mark queued messages past their expiry failed, and say so. */
  expire(): void {
    for (const m of this.store?.expire() ?? []) {
      this.host.expired(plain(m), `not delivered to ${m.from} before it expired`);
    }
  }

  outbox(): StoredMessage[] {
    return this.store?.outbox() ?? [];
  }

  async retry(id: string): Promise<StoredMessage> {
    if (!this.store) throw new PeerchatError('ERR_USAGE', 'retry needs the store (store: false is set)');
    const m = await this.store.retry(id);
    const rec = m.key ? this.host.table.byKey(m.key) : undefined;
    if (rec?.session && !this.inflight.has(id)) this.transmit(rec.session, m).catch(() => {});
    return m;
  }

  async drop(id: string): Promise<boolean> {
    if (!this.store) throw new PeerchatError('ERR_USAGE', 'drop needs the store (store: false is set)');
    return this.store.drop(id);
  }

  /** Write a native message and mark it acked once the ack arrives. */
  private async transmit(session: Session, msg: ChatMessage): Promise<void> {
    this.inflight.add(msg.id);
    try {
      await session.sendChat({ id: msg.id, ts: msg.ts, text: msg.text });
      await this.store?.markAcked(msg.id);
    } finally {
      this.inflight.delete(msg.id);
    }
  }

  /** The open native session with this key, under any address. */
  private sessionFor(key: string | null): Session | null {
    const s = key ? this.host.table.byKey(key)?.session : null;
    return s && !s.closed && s.protocol === 'native' ? s : null;
  }
}

/** A classic frame must fit the original's single 1024-byte read, and be one line. */
export function checkClassicText(name: string, port: number, text: string): void {
  if (/[\r\n]/.test(text)) {
    throw new PeerchatError('ERR_MESSAGE_TOO_LONG', 'classic messages are one line: remove the line breaks');
  }
  const bytes = Buffer.byteLength(encodeFrame({ verb: 'MESSAGE', name, port, text })) - 1;
  if (bytes > ORIGINAL_READ_BYTES) {
    throw new PeerchatError(
      'ERR_MESSAGE_TOO_LONG',
      `the MESSAGE frame would be ${bytes} bytes; classic peers read at most ${ORIGINAL_READ_BYTES} (shorten the text by ${bytes - ORIGINAL_READ_BYTES} bytes)`,
    );
  }
}

/** A stored row as the plain ChatMessage the events carry. */
export function plain(m: StoredMessage): ChatMessage {
  return {
    id: m.id,
    from: m.from,
    name: m.name,
    text: m.text,
    protocol: m.protocol,
    verified: m.verified,
    key: m.key,
    fingerprint: m.fingerprint,
    ts: m.ts,
    direction: m.direction,
  };
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
