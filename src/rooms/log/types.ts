/** The shapes a room log works with: its options, entries, members and warnings, and its internals. */
import path from 'node:path';
import type Hypercore from 'hypercore';
import type Protomux from 'protomux';
import type { Code, Warning } from '../../errors.js';
import type { Announce } from './announce.js';
import type { EntryBody } from './entry.js';
import type { InOrder } from './in-order.js';

export interface RoomLogOptions {
  /** The peer's data directory; the log lives in `<dataDir>/rooms/<topic hex>`. */
  dataDir: string;
  /** The room's 32-byte topic (src/rooms/topic.ts). */
  topic: Uint8Array;
  /** Block encryption key of a secret room (`roomLogEncryptionKey`); absent for an open room. */
  encryptionKey?: Buffer | null;
  /** Entries kept for the whole room; older ones (in read order) are deleted locally. */
  maxEntries?: number;
  now?: () => number;
}

// in their own file: the package's public types reach them, and it must not pull in hypercore's or
// protomux's (untyped) modules
import type { RoomEntry, RoomMember } from './public-types.js';

export type { RoomEntry, RoomMember };

export interface RoomLogWarning extends Warning {
  /** Remote public key (hex) of the session the bad data came from, when known. */
  remote: string | null;
  /** The protomux the bad data came from, so the owner can drop that session. */
  mux: Protomux | null;
}

export interface Author {
  key: string;
  core: Hypercore;
  /** Seqs currently in the index. */
  indexed: Set<number>;
  /** Seqs below this were dropped by retention and are not fetched or indexed again. */
  floor: number;
  range: Hypercore.Range | null;
  rangeStart: number;
  name: string | null;
  lastTs: number | null;
  /** Emits this author's downloaded entries in the order written. */
  order: InOrder | null;
}

export interface PendingAppend {
  body: EntryBody;
  block: Buffer;
  resolve: (entry: RoomEntry) => void;
  reject: (err: unknown) => void;
}

export interface Item {
  ts: number;
  author: string;
  seq: number;
}

export interface Session {
  mux: Protomux;
  channel: Protomux.Channel;
  send: Protomux.Message<Announce>;
  attachedAt: number;
  own: string | null;
}

/** The Noise key of the connection under a mux (read late: it is set once the handshake is done). */
export function remoteOf(mux: Protomux): string | null {
  const key = (mux.stream as { remotePublicKey?: Buffer | null }).remotePublicKey;
  return key ? key.toString('hex') : null;
}

/** `<dataDir>/rooms/<topic hex>` */
export function roomLogDir(dataDir: string, topic: Uint8Array): string {
  return path.join(dataDir, 'rooms', Buffer.from(topic).toString('hex'));
}

export function newAuthor(key: string, core: Hypercore, order: InOrder | null): Author {
  return {
    key,
    core,
    indexed: new Set(),
    floor: 0,
    range: null,
    rangeStart: 0,
    name: null,
    lastTs: null,
    order,
  };
}

/** A warning naming the session the bad data came from (its mux), when known. */
export function roomLogWarning(
  code: Code,
  message: string,
  cause: unknown,
  mux: Protomux | null,
  from?: Hypercore.Peer,
): RoomLogWarning {
  const remote = (mux && remoteOf(mux)) ?? from?.remotePublicKey?.toString('hex') ?? null;
  return { code, message, cause, remote, mux };
}
