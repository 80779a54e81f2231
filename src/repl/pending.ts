/**
 * Chat-mode holding, the REPL's: while a chat target is set, an incoming message from any other
 * peer is held as pending (its id kept in the store's pending table, so it survives a restart) and
 * taken once. The Peer emits every message and holds nothing; `peer.setChatTarget` and
 * `peer.takePending` delegate here.
 */
import { MAX_PENDING } from '../defaults.js';
import { plain } from '../peer/messages.js';
import type { Store } from '../store/store.js';
import type { ChatMessage } from '../types.js';

/** Where messages come from: a Peer (its 'message' event). */
export interface MessageSource {
  on(event: 'message', fn: (msg: ChatMessage) => void): unknown;
  /** Used when there: held before any other listener sees the message (as when the Peer held it). */
  prependListener?(event: 'message', fn: (msg: ChatMessage) => void): unknown;
}

export class Pending {
  #held: ChatMessage[] = [];
  #target: string | null = null;
  #listening = false;

  constructor(
    private readonly source: MessageSource,
    private readonly store: Store | null,
    private readonly fail: (err: unknown) => void,
  ) {}

  /** While set, incoming messages from any other address are held; null holds nothing. */
  setTarget(address: string | null): void {
    this.#target = address;
    if (address !== null && !this.#listening) {
      this.#listening = true;
      const hold = (msg: ChatMessage) => this.#hold(msg);
      if (this.source.prependListener) this.source.prependListener('message', hold);
      else this.source.on('message', hold);
    }
  }

  get target(): string | null {
    return this.#target;
  }

  /** Messages held so far, without clearing them. */
  peek(): readonly ChatMessage[] {
    return this.#held;
  }

  /** The held messages, cleared; with a store also those held before a restart. */
  take(): ChatMessage[] {
    const out = this.#held;
    this.#held = [];
    return this.store ? this.store.takePending().map(plain) : out;
  }

  #hold(msg: ChatMessage): void {
    if (this.#target === null || msg.from === this.#target) return;
    this.#held.push(msg);
    if (this.#held.length > MAX_PENDING) this.#held.shift();
    this.store?.addPending(msg.id).catch((err) => this.fail(err));
  }
}
