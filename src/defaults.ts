/**
 * Every default and limit of a running peer, in one place: the config schema takes its defaults
 * from here and the option types document them. Imports nothing internal.
 */

/** Limits of the network layer. Every one is documented in docs/protocol.md. */
export const DEFAULT_LIMITS = {
  /** Classic frames beyond this many bytes close the connection. */
  maxFrameBytes: 64 * 1024,
  /** Concurrent inbound connections. */
  maxInbound: 512,
  /** Concurrent inbound connections from one IP. */
  maxInboundPerIp: 32,
  /** Concurrent connections that have not finished a handshake. */
  maxUnauthenticated: 64,
  /** Keys one PEERLIST / peers answer may add. */
  maxPeerlistKeys: 256,
  /**
   * Incoming chats one sender (key, or classic IP) may send per second; bursts of 5 s' worth. High
   * enough that a script pipelining 20,000 sends to a connected peer is never refused.
   */
  messagesPerSecond: 10_000,
  /** Incoming text bytes one sender may send per second; bursts of 5 s' worth: what bounds the disk. */
  bytesPerSecond: 1024 * 1024,
} as const;

/** Timeouts in milliseconds. */
export const DEFAULT_TIMEOUTS = {
  /** Dial + CONNECT/ACK. */
  connect: 5000,
  /** Noise handshake + hello. */
  handshake: 10_000,
  /** Inbound connections that say nothing are closed after this. */
  idle: 30_000,
  /** Native chat ack. */
  ack: 10_000,
  /** QUERY / peers request. */
  query: 5000,
  /** Native keepalive interval. */
  keepAlive: 2000,
  /** A native session silent for this long is dropped as "lost". */
  session: 6000,
} as const;

/** Native chat text limit (bytes), on send and on receive (net/native/messages decodes no more). */
export const MAX_SEND_TEXT_BYTES = 16 * 1024;
/** Message ids remembered for de-duplication. */
export const SEEN_IDS = 10_000;
/** Listen backlog: the original's 5 stalls bursts on SYN retransmits. */
export const LISTEN_BACKLOG = 1024;
/** Discovered peers without a session kept in the table; the oldest is evicted past it. */
export const MAX_DISCOVERED = 1024;
/** Of those, at most this many from one source (the IP that claimed them, or the peer that listed them). */
export const MAX_DISCOVERED_PER_SOURCE = 64;
/**
 * Incoming chats taken in and not acked yet (transforms running, rows waiting for their commit),
 * over all senders: keys cost nothing, so per-key rates alone do not bound memory. Past either
 * bound a native chat is refused (rate limited, retry after INBOUND_BUSY_RETRY_MS); a classic one,
 * which cannot be resent, is bounded by its IP's rate instead. An honest sender has
 * at most 1,024 unacked chats per session (net/native/ack-window.ts).
 */
export const MAX_INBOUND_PENDING = 8192;
export const MAX_INBOUND_PENDING_BYTES = 16 * 1024 * 1024;
export const INBOUND_BUSY_RETRY_MS = 1000;
/** A sender's rate buckets hold this many seconds' worth (the burst). */
export const RATE_BURST_SECONDS = 5;
/** Senders whose rates are tracked; the least recently seen is forgotten first. */
export const RATE_SENDERS = 4096;
/** connectAll dials at most this many peers at once. */
export const CONNECT_ALL_CONCURRENCY = 8;
/** Held messages kept in chat mode. */
export const MAX_PENDING = 1000;
/** A room peer whose connection dropped is reported lost only if no new one arrives within this. */
export const ROOM_GRACE_MS = 1500;
/** How often queued messages are checked for expiry. */
export const EXPIRE_CHECK_MS = 30_000;

/** How long peer.ready() waits for the configured peers' first connection round at most. */
export const DEFAULT_READY_TIMEOUT_MS = 10_000;
