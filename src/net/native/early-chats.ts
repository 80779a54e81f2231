/**
 * Chats that arrive before the Peer listens (its hello and first chats may share one read) are
 * held, in order, and handed over once a 'chat' listener is added; past MAX_EARLY_CHATS they are
 * dropped unacked, so the sender resends them (a sender that reads refusals is told to, after
 * EARLY_FULL_RETRY_MS: see NativeSession.onChat).
 */
import type { AckChat, WireChat } from '../session.js';

export const MAX_EARLY_CHATS = 256;
/** The wait a refused early chat states: the Peer attaches within moments, even under load. */
export const EARLY_FULL_RETRY_MS = 1000;

export class EarlyChats {
  private held: Array<[WireChat, AckChat]> = [];

  /** Chats are held; later ones must queue behind them to keep the order. */
  get holding(): boolean {
    return this.held.length > 0;
  }

  /** Hold one chat; false when full (it is dropped). */
  hold(chat: WireChat, ack: AckChat): boolean {
    if (this.held.length >= MAX_EARLY_CHATS) return false;
    this.held.push([chat, ack]);
    return true;
  }

  /** Hand the held chats over in order; stops, dropping the rest, when `deliver` returns false. */
  drain(deliver: (chat: WireChat, ack: AckChat) => boolean): void {
    const held = this.held;
    this.held = [];
    for (const [chat, ack] of held) if (!deliver(chat, ack)) return;
  }
}
