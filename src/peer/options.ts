import type { Store } from '../store/store.js';
import type { ChatMessage, Identity } from '../types.js';

/** Limits of the network layer. Every one is documented in docs/protocol.md. */
export interface Limits {
  /** Classic frames beyond this many bytes close the connection. @default 65536 */
  maxFrameBytes: number;
  /** Concurrent inbound connections. @default 512 */
  maxInbound: number;
  /** Concurrent connections that have not finished a handshake. @default 64 */
  maxUnauthenticated: number;
  /** Keys one PEERLIST / peers answer may add. @default 256 */
  maxPeerlistKeys: number;
}

/** Timeouts in milliseconds. */
export interface Timeouts {
  /** Dial + CONNECT/ACK. @default 5000 */
  connect: number;
  /** Noise handshake + hello. @default 10000 */
  handshake: number;
  /** Inbound connections that say nothing are closed after this. @default 30000 */
  idle: number;
  /** Native chat ack. @default 10000 */
  ack: number;
  /** QUERY / peers request. @default 5000 */
  query: number;
  /** Native keepalive interval. @default 2000 */
  keepAlive: number;
  /** A native session silent for this long is dropped as "lost". @default 6000 */
  session: number;
}

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
  interceptors?: Interceptors;
  /**
   * The DHT for rooms: `bootstrap` is "public" or a list of "host:port" (config `dht.bootstrap`).
   * `testOnly` carries DHT options that are unsafe outside loopback tests; never set it from config.
   */
  dht?: { bootstrap: unknown; testOnly?: { firewalled?: false } };
  /** History and durable outbox. Null keeps everything in memory only. @default null */
  store?: Store | null;
}
