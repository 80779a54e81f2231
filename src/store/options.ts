/** The store's options, their defaults, and the one history query (the store, the peer and plugins share it). */

import type { Via } from '../types.js';
import type { RetentionLimits } from './ops.js';

export const DEFAULT_MAX_PER_PEER = 1000; // native messages awaiting an ack, per peer key
export const DEFAULT_MAX_TOTAL = 10_000; // native messages awaiting an ack, all peers
export const DEFAULT_EXPIRE_MS = 7 * 24 * 60 * 60 * 1000; // an undelivered message fails after a week
export const DEFAULT_MAX_MESSAGES = 100_000; // history rows kept (outbox and pending rows always kept)
export const DEFAULT_MAX_BYTES = 256 * 1024 * 1024; // used database pages; the oldest history goes first
export const DEFAULT_MAX_PENDING = 10_000; // chat-mode held messages; past it the oldest is released
/** Retention also runs after this many inserted rows, so a flood cannot outgrow the hourly run. */
export const RETAIN_EVERY_ROWS = 1000;
export const DEFAULT_HISTORY_LIMIT = 100;

export interface RetentionOptions {
  /** Delete history older than this many days (local storage time). @default null (no age limit) */
  days?: number | null;
  /** Keep at most this many history rows, deleting the oldest. @default 100000 */
  maxMessages?: number | null;
  /**
   * Keep the database's used pages under this many bytes, deleting the oldest history; freed pages
   * go back to the file system (auto_vacuum=INCREMENTAL). @default 268435456 (256 MiB)
   */
  maxBytes?: number | null;
  /** Chat-mode held messages; past it the oldest is released (it stays in the history). @default 10000 */
  maxPending?: number;
}

export interface OutboxOptions {
  /** Native messages awaiting an ack, per peer key. @default 1000 */
  maxPerPeer?: number;
  /** Native messages awaiting an ack, all peers. @default 10000 */
  maxTotal?: number;
  /** A message not acked this long after it was queued is marked failed by expire(). @default 604800000 (7 days) */
  expireMs?: number;
}

export interface StoreOptions {
  /** The file is `<dataDir>/peerchat.db`. */
  dataDir: string;
  retention?: RetentionOptions;
  outbox?: OutboxOptions;
  /** Read without taking the lock (history/export while the peer runs); writes reject ERR_STORE_READONLY. */
  readonly?: boolean;
}

/**
 * A history query: the store's, the `peer` global's and plugins' (`HistoryQuery` is this type).
 * Every filter runs in SQL, before the limit.
 */
export interface HistoryOptions {
  /** Peer address ("ip:port") or hex key. */
  peer?: string;
  /** Newest rows returned (oldest first). Infinity for all. @default 100 */
  limit?: number;
  /** A message id (rows stored before it), or a time in ms (rows stored before then). */
  before?: number | string;
  /** Only rows stored at or after this time (ms since the epoch, local storage time like `before`). */
  since?: number;
  /** Case-insensitive substring of the text. */
  search?: string;
  /** Only the messages of this room (its name, as joined). */
  room?: string;
}

export interface SeenPeer {
  address: string;
  key: string | null;
  name: string | null;
  firstSeen: number;
  lastSeen: number;
}

export interface SeenPeerInput {
  address: string;
  key?: string | null;
  name?: string | null;
  /** How the session came: kept as the contact's "met" on first sight. @default 'tcp' */
  via?: Via;
  /** @default Date.now() */
  at?: number;
}

/** The retention limits the writer applies, defaults filled in. */
export function retentionLimits(r: RetentionOptions | undefined): RetentionLimits {
  return {
    days: r?.days ?? null,
    maxMessages: r?.maxMessages === undefined ? DEFAULT_MAX_MESSAGES : r.maxMessages,
    maxBytes: r?.maxBytes === undefined ? DEFAULT_MAX_BYTES : r.maxBytes,
  };
}
