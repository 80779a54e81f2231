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
  /** Concurrent connections that have not finished a handshake. */
  maxUnauthenticated: 64,
  /** Keys one PEERLIST / peers answer may add. */
  maxPeerlistKeys: 256,
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
/** Two sessions with one peer opened this close together are a simultaneous connect, not a restart. */
export const SIMULTANEOUS_MS = 2000;
/** Listen backlog: the original's 5 stalls bursts on SYN retransmits. */
export const LISTEN_BACKLOG = 1024;
/** Held messages kept in chat mode. */
export const MAX_PENDING = 1000;
/** A room peer whose connection dropped is reported lost only if no new one arrives within this. */
export const ROOM_GRACE_MS = 1500;
/** How often queued messages are checked for expiry. */
export const EXPIRE_CHECK_MS = 30_000;

/** How long peer.ready() waits for the configured peers' first connection round at most. */
export const DEFAULT_READY_TIMEOUT_MS = 10_000;
