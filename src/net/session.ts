/**
 * A session is one persistent connection to one peer, whatever its protocol.
 * The Peer core talks to classic and native sessions through this interface only.
 */
import type { EventEmitter } from 'node:events';
import type { Warning } from '../errors.js';
import type { DisconnectReason, PeerEntry, Protocol } from '../types.js';

/** A chat message as it travels on the wire. */
export interface WireChat {
  id: string;
  /** Milliseconds since the epoch. */
  ts: number;
  text: string;
}

/**
 * Why a received chat is refused instead of acked, and when the sender may try again. A native
 * sender that understands refusals is told (see docs/protocol.md); any other gets no ack.
 */
export interface Refusal {
  reason: 'rate-limited';
  retryAfterMs: number;
}

/** Acknowledge a chat once it is kept, or refuse it (a native session tells the sender). */
export type AckChat = (refusal?: Refusal) => void;

/**
 * Who a classic frame says sent it: the IP of the socket it came on, and the port and name the
 * frame claims. Nothing proves it (see peer/inbox.ts, where the sender is decided).
 */
export interface ClaimedSender {
  host: string;
  port: number;
  name: string;
  /** The IP a bare courtesy line writes before its port; only a claim (the inbox compares it). */
  statedHost?: string;
}

/** What a peer says about itself when a session opens. */
export interface Hello {
  name: string;
  /** Listening port. */
  port: number;
  version: string;
  capabilities: string[];
}

export interface SessionEvents {
  /** The remote peer's hello (native only; a classic session is opened from CONNECT/ACK). */
  hello: [hello: Hello];
  /**
   * `ack` acknowledges the message to the sender (native; a no-op for classic); call it once the
   * message is safely kept, or with a refusal to refuse it. A classic chat names the sender its frame claims; a native chat comes
   * from the session's authenticated peer and has no claim.
   */
  chat: [chat: WireChat, ack: AckChat, claimed?: ClaimedSender];
  /** The remote asks for our peers; call `reply` with the answer (native; classic answers QUERY itself). */
  'peers-request': [reply: (entries: PeerEntry[]) => void];
  /** The remote said EXIT. A close with reason "exit" follows. */
  exit: [];
  /**
   * exit: the remote said EXIT; lost: the connection ended or timed out without EXIT;
   * closed: we closed it ourselves.
   */
  close: [reason: DisconnectReason, err?: Error];
  warning: [warning: Warning];
  /** An ack for a chat whose wait had timed out (native): the message did arrive. */
  'late-ack': [id: string];
}

export interface Session extends EventEmitter {
  readonly protocol: Protocol;
  /** Remote IP as seen on the socket. */
  readonly remoteHost: string;
  /** Hex public key of the remote (native, authenticated), or null (classic). */
  readonly remoteKey: string | null;
  /** True when this side opened the connection. */
  readonly isInitiator: boolean;
  /** Resolves when the message was written (classic) or acknowledged (native). */
  sendChat(chat: WireChat): Promise<void>;
  /** Ask the remote for its connected peers. */
  requestPeers(): Promise<PeerEntry[]>;
  /** Send EXIT, wait until it is flushed, then close. Never rejects. */
  exit(): Promise<void>;
  /** Close at once with the given reason. */
  destroy(reason?: DisconnectReason, err?: Error): void;
  readonly closed: boolean;
}
