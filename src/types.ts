/** Shared types. This module imports nothing internal but the error codes' type. */
import type { Code } from './errors.js';

export type Protocol = 'classic' | 'native';
export type DisconnectReason = 'exit' | 'lost' | 'closed';
export type Direction = 'in' | 'out';
/** How a peer was reached: a TCP dial or accept, or a Hyperswarm room (named once known). */
export type Via = 'tcp' | 'room' | `room:${string}`;

/** A peer as the tables know it. `address` is "ip:port" with the peer's *listening* port. */
export interface PeerInfo {
  address: string;
  name: string | null;
  /** Hex Ed25519 public key, for native peers. */
  key: string | null;
  /** Short, human-comparable form of the key. */
  fingerprint: string | null;
  protocol: Protocol | null;
  connected: boolean;
  /** How the peer was reached: "tcp" or "room:<name>". */
  via: Via;
}

export interface ChatMessage {
  /** Unique message id (UUIDv7). Classic messages get a local id. */
  id: string;
  /** Sender ("in") or recipient ("out") address, "ip:port". */
  from: string;
  name: string | null;
  text: string;
  protocol: Protocol;
  /** True when the sender's key was authenticated (native). */
  verified: boolean;
  key: string | null;
  fingerprint: string | null;
  /** Milliseconds since the epoch, as stated by the sender. */
  ts: number;
  direction: Direction;
  /** The room the message was said in (a room log entry); absent for one-to-one messages. */
  room?: string;
  /** A room message that arrived by catch-up rather than live. Set only on room messages. */
  late?: boolean;
}

/** An entry of a peers answer (QUERY/PEERLIST or the native peers answer). */
export interface PeerEntry {
  address: string;
  key: string | null;
  name: string | null;
}

export interface SendResult {
  id: string;
  to: string;
  protocol: Protocol;
  /** "acked" once a native peer acknowledged it; "sent" once a classic frame was written. */
  state: 'acked' | 'sent' | 'queued' | 'failed';
  /** Why it failed, or why it is still queued: the message text (a string, as it always was). */
  error?: string;
  /** The code of `error` (ERR_INTERNAL for an uncoded one): `{ code, error }` is the failure. */
  code?: Code;
}

/** The peer's Ed25519 identity (hypercore-crypto key pair: 32-byte public, 64-byte secret). */
export interface Identity {
  publicKey: Buffer;
  secretKey: Buffer;
  /** Hex public key. */
  id: string;
  /** Short fingerprint shown to people, e.g. "3f2a:91c0:7be4:d215". */
  fingerprint: string;
}
