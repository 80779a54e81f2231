/** Chat mode state, shared by the REPL and script mode. */
import { PeerchatError } from '../errors.js';
import type { PeerApi } from '../peer/api.js';
import type { ChatMessage, PeerInfo, SendResult } from '../types.js';
import { sanitize } from './format.js';

export class ChatState {
  #target: PeerInfo | null = null;

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
    const info = roomTarget(target) ?? this.peer.resolve(target);
    // a room chat needs the room joined (members() throws ERR_ROOM otherwise)
    if (info.key === null && info.address.startsWith(ROOM_PREFIX))
      this.peer.members(info.address.slice(ROOM_PREFIX.length));
    this.peer.setChatTarget(info.address);
    this.#target = info;
    return info;
  }

  /**
   * Leave chat mode; returns how many messages are pending, or null when not chatting. They stay
   * held where they are (with a store, in its pending table) until taken: a quit before .pending
   * keeps them for the next start.
   */
  leave(): number | null {
    if (!this.#target) return null;
    this.peer.setChatTarget(null);
    this.#target = null;
    return peekable(this.peer)?.peekPending().length ?? 0;
  }

  /** All pending messages, clearing them. */
  takePending(): ChatMessage[] {
    return this.peer.takePending();
  }

  /** Whether an incoming message is shown now; the others wait as pending. */
  shows(msg: ChatMessage): boolean {
    return this.#target === null || msg.from === this.#target.address;
  }
}

const ROOM_PREFIX = 'room:';

/** A Peer counts what it holds without taking it; PeerApi (what plugins and fakes implement) cannot. */
function peekable(peer: PeerApi): { peekPending(): readonly ChatMessage[] } | null {
  const p = peer as Partial<{ peekPending(): readonly ChatMessage[] }>;
  return typeof p.peekPending === 'function' ? (p as { peekPending(): readonly ChatMessage[] }) : null;
}

/** `room:<name>`: chat mode in a room, where each line is said to the room. */
function roomTarget(target: string): PeerInfo | null {
  if (!target.startsWith(ROOM_PREFIX)) return null;
  const room = target.slice(ROOM_PREFIX.length);
  return {
    address: target,
    name: `#${room}`,
    key: null,
    fingerprint: null,
    protocol: 'native',
    connected: true,
    via: `room:${room}`,
  };
}

/** A chat-mode line: sent to the peer, or said to the room of a room target. */
export async function chatSend(
  g: {
    send(target: string, text: string): Promise<SendResult>;
    say(room: string, text: string): Promise<{ id: string }>;
  },
  target: PeerInfo,
  text: string,
): Promise<SendResult> {
  if (!target.address.startsWith(ROOM_PREFIX) || target.key !== null) return g.send(target.address, text);
  const r = await g.say(target.address.slice(ROOM_PREFIX.length), text);
  return { id: r.id, to: target.address, protocol: 'native', state: 'sent' };
}

export function label(p: PeerInfo): string {
  return p.name ? `${sanitize(p.name)} (${p.address})` : p.address;
}

export function enteredText(p: PeerInfo): string {
  if (p.address.startsWith(ROOM_PREFIX) && p.key === null)
    return `chatting in room ${sanitize(p.address.slice(ROOM_PREFIX.length))}: each line is said to the room; .exit or Ctrl-D leaves`;
  return `chatting with ${label(p)}: each line is sent; .exit or Ctrl-D leaves`;
}

export function leftText(pending: number): string {
  if (pending === 0) return 'left chat mode; no pending messages';
  return `left chat mode; ${pending} pending message${pending === 1 ? '' : 's'}: .pending to show`;
}
