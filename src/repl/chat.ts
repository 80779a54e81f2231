/** Chat mode state, shared by the REPL and script mode. */
import { PeerchatError } from '../errors.js';
import type { PeerApi } from '../peer/api.js';
import type { ChatMessage, PeerInfo } from '../types.js';
import { sanitize } from './format.js';

export class ChatState {
  #target: PeerInfo | null = null;
  // messages taken from the Peer's pending queue on leaving: PeerApi can take but not count them
  readonly #held: ChatMessage[] = [];

  constructor(private readonly peer: PeerApi) {}

  get target(): PeerInfo | null {
    return this.#target;
  }

  /** Resolve the target (coded errors for unknown/ambiguous ones) and hold other peers' messages. */
  enter(target: string): PeerInfo {
    if (this.#target) {
      throw new PeerchatError(
        'ERR_USAGE',
        `already chatting with ${label(this.#target)}; .exit leaves chat mode`,
      );
    }
    const info = this.peer.resolve(target);
    this.peer.setChatTarget(info.address);
    this.#target = info;
    return info;
  }

  /** Leave chat mode; returns how many messages are pending, or null when not chatting. */
  leave(): number | null {
    if (!this.#target) return null;
    this.#held.push(...this.peer.takePending());
    this.peer.setChatTarget(null);
    this.#target = null;
    return this.#held.length;
  }

  /** All pending messages (held ones first), clearing them. */
  takePending(): ChatMessage[] {
    return [...this.#held.splice(0), ...this.peer.takePending()];
  }

  /** Whether an incoming message is shown now; the others wait as pending. */
  shows(msg: ChatMessage): boolean {
    return this.#target === null || msg.from === this.#target.address;
  }
}

export function label(p: PeerInfo): string {
  return p.name ? `${sanitize(p.name)} (${p.address})` : p.address;
}

export function enteredText(p: PeerInfo): string {
  return `chatting with ${label(p)}: each line is sent; .exit or Ctrl-D leaves`;
}

export function leftText(pending: number): string {
  if (pending === 0) return 'left chat mode; no pending messages';
  return `left chat mode; ${pending} pending message${pending === 1 ? '' : 's'}: .pending to show`;
}
