/**
 * The public surface of a running peer: what the REPL exposes as the global `peer`,
 * what scripts receive and what plugins build on. A public contract: keep it stable.
 */
import type { Failure, Warning } from '../errors.js';
import type { RoomMember } from '../rooms/log/public-types.js';
import type { RoomSummary } from '../rooms/swarm.js';
import type { Contact } from '../store/contacts.js';
import type { HistoryOptions, StoredMessage } from '../store/store.js';
import type { ChatMessage, DisconnectReason, PeerInfo, SendResult } from '../types.js';

export type { Contact, HistoryOptions, RoomMember, RoomSummary, StoredMessage };

/** What `say(room, text)` resolves with once the message is appended to this member's room log. */
export interface SayResult {
  id: string;
  room: string;
  ts: number;
  /** Members holding the message so far, this one included (1 until another member fetched it). */
  holders: number;
}

/** A contact, and whether a session with it is open now. */
export interface ContactInfo extends Contact {
  connected: boolean;
}

export interface ListeningInfo {
  name: string;
  host: string;
  port: number;
  /** Hex public key, or null when the peer has no identity (classic only). */
  id: string | null;
}

/** Events of a Peer. Each listener gets exactly these arguments. */
export interface PeerEvents {
  listening: [info: ListeningInfo];
  /** An incoming chat message, after plugin transforms. */
  message: [msg: ChatMessage];
  /** An outgoing chat message, once it was handed to a session (after plugin transforms). */
  sent: [msg: ChatMessage, result: SendResult];
  'peer-connected': [peer: PeerInfo];
  'peer-disconnected': [peer: PeerInfo, reason: DisconnectReason];
  'peer-discovered': [peer: PeerInfo];
  /** An outgoing message that will not be delivered (expired in the outbox, or failed for good). */
  'message-failed': [msg: ChatMessage, error: string, failure: Failure];
  /**
   * An outgoing message whose send() did not wait for its ack (queued for an away peer, resent on a
   * new session, `.retry`, or `wait: false`) was acknowledged: delivered. `msg` is the stored message.
   */
  'message-delivered': [msg: ChatMessage];
  warning: [warning: Warning];
  close: [];
}

export type PeerEventName = keyof PeerEvents;

export interface SendOptions {
  /**
   * Wait for delivery (the native ack) before resolving, or only until the message is queued
   * (stored in the outbox when there is a store, else handed to the session).
   * With a store, a native message that cannot be delivered now resolves as "queued" and is
   * resent, with the same id, when a session with that peer's key is next established.
   * @default true
   */
  wait?: boolean;
}

export interface ReadyOptions {
  /** Resolve after this many ms even if the round is not over. @default 10000 */
  timeout?: number;
}

export interface ConnectOptions {
  /** Expected hex public key: any other key is refused. */
  key?: string;
}

export interface PeerApi {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** "ip:port" */
  readonly address: string;
  /** Hex Ed25519 public key. */
  readonly id: string | null;
  readonly fingerprint: string | null;

  /**
   * Send `text` to a target: "ip:port", or the name or fingerprint prefix of a live peer or a contact.
   * A contact that is away gets the message queued to its key (with a store).
   */
  send(target: string, text: string, opts?: SendOptions): Promise<SendResult>;
  /** Send to every connected peer; one result per peer, never rejects for one peer's failure. */
  broadcast(text: string): Promise<SendResult[]>;
  /** Open a persistent session (CONNECT/ACK, upgraded to native between peerchat peers); `address` may be a contact's name. */
  connect(address: string, opts?: ConnectOptions): Promise<PeerInfo>;
  /**
   * Resolves, with the connected peers, once every configured autoConnect peer is connected or has
   * failed its first attempt (at once without autoConnect), or when `timeout` ms have passed.
   */
  ready(opts?: ReadyOptions): Promise<PeerInfo[]>;
  /** Connect to every discovered peer that is not connected yet. */
  connectAll(): Promise<PeerInfo[]>;
  /** Ask a peer for its connected peers; resolves to the peer keys ("ip:port") learned. */
  query(target: string): Promise<string[]>;
  /** Discovered peers. */
  activePeers(): PeerInfo[];
  /** Peers with an open session. */
  connectedPeers(): PeerInfo[];
  /**
   * REPL-level (chat mode is the REPL's, src/repl/pending.ts): messages held back while in chat mode,
   * with a store also those held before a restart; returns them and clears the queue.
   */
  takePending(): ChatMessage[];
  /**
   * REPL-level: while set, incoming messages from any other peer are also held as pending (the
   * Peer still emits every message; the REPL's printer shows only the chat target's).
   */
  setChatTarget(address: string | null): void;
  /** Resolve "ip:port" or a name to a known peer; throws ERR_AMBIGUOUS_TARGET / ERR_UNKNOWN_TARGET. */
  resolve(target: string): PeerInfo;
  /** Accept a new key for an address deliberately (after ERR_KEY_MISMATCH). */
  trust(address: string, key: string): void;
  /**
   * The contact book: every peer a session was held with (key, name, last addresses, first/last seen,
   * how met), most recently seen first; with `target`, the contacts it names. Empty without a store.
   */
  contacts(target?: string): ContactInfo[];

  /**
   * Stored messages, oldest first; `target` is "ip:port" or a peer name, or the options alone
   * (`history({ room, limit, before, search })`). Empty without a store.
   */
  history(target?: string | HistoryOptions, opts?: HistoryOptions): StoredMessage[];
  /** Outgoing native messages not acked yet. */
  outbox(): StoredMessage[];
  /**
   * Queue a failed message again; send a failed or queued message now if its peer is connected,
   * else dial its peer now.
   */
  retry(id: string): Promise<StoredMessage>;
  /** Remove a message from the outbox: it will not be resent. */
  drop(id: string): Promise<boolean>;
  /** Join a room on the Hyperswarm DHT. */
  join(room: string, opts?: { secret?: string }): Promise<RoomSummary[]>;
  /** Stop replicating the room's history, send EXIT on its sessions and leave it; `forget` deletes its local history. */
  leave(room: string, opts?: { forget?: boolean }): Promise<RoomSummary[]>;
  /** Say `text` to everyone in a joined room, now and later (its shared history). */
  say(room: string, text: string): Promise<SayResult>;
  /** Every member known to a joined room, online or not: key, name, lastSeen, online. */
  members(room: string): RoomMember[];
  /** The rooms joined, with how many peers each has. */
  rooms(): RoomSummary[];

  on<E extends PeerEventName>(event: E, fn: (...args: PeerEvents[E]) => void): this;
  once<E extends PeerEventName>(event: E, fn: (...args: PeerEvents[E]) => void): this;
  off<E extends PeerEventName>(event: E, fn: (...args: PeerEvents[E]) => void): this;

  /** Send EXIT to every connected peer, wait until flushed, close everything. */
  exit(): Promise<void>;
}
