/**
 * The one road of every incoming chat message, classic or native: decide the sender, de-duplicate,
 * plugin transforms, store, ack (a message is kept before the sender may forget it), then emit it
 * (every message: chat-mode holding is the REPL's, src/repl/pending.ts). The place for per-sender
 * limits on what comes in.
 */

import {
  INBOUND_BUSY_RETRY_MS,
  MAX_INBOUND_PENDING,
  MAX_INBOUND_PENDING_BYTES,
  SEEN_IDS,
} from '../defaults.js';
import { formatAddress } from '../net/address.js';
import type { AckChat, ClaimedSender, Session, WireChat } from '../net/session.js';
import type { ChatMessage } from '../types.js';
import type { PeerCore } from './core.js';
import { SenderRates } from './rate.js';
import { type PeerRecord, toInfo } from './table.js';

type Transform = (msg: ChatMessage) => Promise<ChatMessage | null>;

export class Inbox {
  private readonly seen = new Set<string>();
  /** The ids of `seen` in arrival order, as a ring: evicting the oldest stays O(1). */
  private readonly seenRing: (string | undefined)[] = new Array(SEEN_IDS);
  private seenNext = 0;
  private readonly rates: SenderRates;
  /** Chats taken in and not acked yet, and their text bytes (MAX_INBOUND_PENDING bounds them). */
  private pending = 0;
  private pendingBytes = 0;

  constructor(
    private readonly core: PeerCore,
    private readonly transform: Transform,
  ) {
    this.rates = new SenderRates(core.limits.messagesPerSecond, core.limits.bytesPerSecond);
  }

  /** A chat on an attached session; a classic one is from the sender its frame claims. */
  fromSession(
    rec: PeerRecord,
    session: Session,
    chat: WireChat,
    ack: AckChat,
    claimed?: ClaimedSender,
  ): void {
    if (claimed) return this.fromClaim(chat, ack, claimed);
    this.admit(
      {
        id: chat.id,
        from: rec.address,
        name: rec.name,
        text: chat.text,
        protocol: session.protocol,
        verified: session.protocol === 'native',
        key: rec.key,
        fingerprint: rec.fingerprint,
        ts: chat.ts,
        direction: 'in',
      },
      ack,
      rec.key ?? rec.host,
    );
  }

  /**
   * A classic chat: the sender is the socket's IP and the port its frame claims, and becomes
   * a discovered peer under that address (as the original does).
   */
  fromClaim(chat: WireChat, ack: AckChat, claimed: ClaimedSender): void {
    const { host, port, name, statedHost } = claimed;
    const address = formatAddress(host, port);
    if (statedHost !== undefined && statedHost !== host) {
      // a bare line naming another IP would make us answer (and dial) an address of its choice
      this.core.warnings.warn(
        'ERR_FORGED_SENDER',
        `dropped a classic line from ${host} claiming to be ${formatAddress(statedHost, port)}`,
      );
      return;
    }
    const [rec, isNew] = this.core.table.discover(address, host, port, host);
    if (rec.protocol !== 'native') rec.name = name;
    if (rec.protocol === null) rec.protocol = 'classic';
    if (isNew) this.core.emit('peer-discovered', toInfo(rec));
    this.admit(
      {
        id: chat.id,
        from: address,
        name,
        text: chat.text,
        protocol: 'classic',
        verified: false,
        key: null,
        fingerprint: null,
        ts: chat.ts,
        direction: 'in',
      },
      ack,
      host,
    );
  }

  /** `sender`: whose rate it counts against (a key, or a classic sender's IP). */
  private admit(msg: ChatMessage, ack: AckChat, sender: string): void {
    const bytes = Buffer.byteLength(msg.text);
    if (!this.rates.take(sender, bytes)) {
      // not kept: a native sender is told when to resend (one that cannot read it resends unacked ones)
      const retryAfterMs = this.rates.retryAfterMs(sender, bytes);
      this.core.warnings.warn(
        'ERR_RATE_LIMITED',
        `refused a message from ${msg.from}: over ${this.core.limits.messagesPerSecond} messages or ` +
          `${this.core.limits.bytesPerSecond} bytes a second (retry after ${retryAfterMs} ms)`,
      );
      ack({ reason: 'rate-limited', retryAfterMs });
      return;
    }
    if (msg.protocol === 'native' && this.busy(bytes)) {
      // many keys at once (keys are free): what waits for its commit stays bounded. A classic chat
      // is never refused here: it cannot be resent, and its sender's IP rate bounds it
      this.core.warnings.warn(
        'ERR_RATE_LIMITED',
        `refused a message from ${msg.from}: ${this.pending} incoming messages are still being stored ` +
          `(retry after ${INBOUND_BUSY_RETRY_MS} ms)`,
      );
      ack({ reason: 'rate-limited', retryAfterMs: INBOUND_BUSY_RETRY_MS });
      return;
    }
    if (!this.seen.has(msg.id)) this.remember(msg.id);
    else if (!this.core.store) {
      ack();
      return;
    }
    // with a store, a repeat goes through receive(): it is acked only once its first copy is
    // committed, and a copy whose storing failed is stored now (the id alone proves nothing)
    this.pending++;
    this.pendingBytes += bytes;
    void this.receive(msg, ack, bytes);
  }

  private busy(bytes: number): boolean {
    return this.pending >= MAX_INBOUND_PENDING || this.pendingBytes + bytes > MAX_INBOUND_PENDING_BYTES;
  }

  /** Chats taken in and not acked yet (tests and diagnostics). */
  get inFlight(): { messages: number; bytes: number } {
    return { messages: this.pending, bytes: this.pendingBytes };
  }

  private remember(id: string): void {
    // not Set#values().next(): after many deletes V8 walks the deleted slots, O(n) per message
    const old = this.seenRing[this.seenNext];
    if (old !== undefined) this.seen.delete(old);
    this.seenRing[this.seenNext] = id;
    this.seenNext = (this.seenNext + 1) % SEEN_IDS;
    this.seen.add(id);
  }

  /** Transform, store, ack, emit; counted in `pending` (with its text `bytes`) until done. */
  private async receive(msg: ChatMessage, ack: AckChat, bytes: number): Promise<void> {
    try {
      const { store, warnings } = this.core;
      if (store && msg.protocol === 'native') {
        let kept: boolean;
        try {
          kept = store.hasIncoming(msg.key, msg.id); // per sender key: another key's id proves nothing
        } catch (err) {
          warnings.fail(err, `could not read the store for message ${msg.id}`);
          return; // not acked: the sender resends
        }
        if (kept) {
          ack(); // a resend after a lost ack: already kept and shown
          return;
        }
      }
      const out = await this.transform(msg);
      if (!out) {
        ack();
        return;
      }
      if (store) {
        try {
          if (!(await store.recordIncoming(out))) {
            ack();
            return;
          }
        } catch (err) {
          // not kept, so not acked: the sender keeps it queued and resends
          warnings.fail(err, `could not store message ${msg.id}`);
          return;
        }
      }
      ack();
      this.core.emit('message', out);
    } finally {
      this.pending--;
      this.pendingBytes -= bytes;
    }
  }
}
