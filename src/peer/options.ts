import type { DEFAULT_LIMITS, DEFAULT_TIMEOUTS } from '../defaults.js';
import type { Store } from '../store/store.js';
import type { ChatMessage, Identity } from '../types.js';
import type { Warnings } from './warnings.js';

/** Limits of the network layer; the defaults and what each means are in src/defaults.ts. */
export type Limits = { -readonly [K in keyof typeof DEFAULT_LIMITS]: number };

/** Timeouts in milliseconds; the defaults and what each means are in src/defaults.ts. */
export type Timeouts = { -readonly [K in keyof typeof DEFAULT_TIMEOUTS]: number };

/** Hooks the plugin host (or a test) can put on the message path. */
export interface Interceptors {
  incoming?(msg: ChatMessage): Promise<ChatMessage | null> | ChatMessage | null;
  outgoing?(msg: ChatMessage): Promise<ChatMessage | null> | ChatMessage | null;
}

export interface PeerOptions {
  /** Display name, no spaces. */
  name: string;
  /** @default '0.0.0.0' */
  host?: string;
  /** 0 takes an ephemeral port. @default 0 */
  port?: number;
  /** Identity for native sessions; without one the peer speaks classic only. */
  identity?: Identity | null;
  /** Data directory (known_hosts, store). Null keeps nothing on disk. */
  dataDir?: string | null;
  /** Accept plaintext classic peers. @default true */
  classic?: boolean;
  /** Hex keys admitted (private mode). Null admits every key. @default null */
  allow?: string[] | null;
  limits?: Partial<Limits>;
  timeouts?: Partial<Timeouts>;
  /** The plugins' transforms on the message path, given at construction (never patched in later). */
  interceptors?: Interceptors;
  /**
   * The DHT for rooms: `bootstrap` is "public" or a list of "host:port" (config `dht.bootstrap`).
   * `testOnly` carries DHT options that are unsafe outside loopback tests; never set it from config.
   */
  dht?: { bootstrap: unknown; testOnly?: { firewalled?: false } };
  /** Room log entries kept per room (config `history.roomMaxEntries`). @default 10000 */
  roomMaxEntries?: number;
  /** History and durable outbox. Null keeps everything in memory only. @default null */
  store?: Store | null;
  /** How often queued messages are checked for expiry (ms). @default EXPIRE_CHECK_MS (30 s) */
  expireCheckMs?: number;
  /** Backoff of the redial of peers with queued messages. @default the auto-connect policy (250 ms doubling to 30 s) */
  redial?: { baseMs?: number; capMs?: number };
  /** The warning sink shared with the plugin host and auto-connect. @default a new one */
  warnings?: Warnings;
  /**
   * A short-lived sender (a one-shot `peerchat send`): its hello says so, and a peer that already has
   * a session with this key takes its messages beside that session instead of replacing it.
   * @default false
   */
  transient?: boolean;
}
