/**
 * compact-encoding codecs of the native protocol messages (channel "peerchat/1").
 * Every decoder checks its limits; `safe()` turns any decode failure into `null`, so bad bytes
 * never throw into protomux (which would destroy the stream with an uncoded error).
 */

import b4a from 'b4a';
import c from 'compact-encoding';
import { MAX_SEND_TEXT_BYTES } from '../../defaults.js';
import { isPrintableName } from '../../sanitize.js';
import type { Hello, WireChat } from '../session.js';

export const MAX_NAME_BYTES = 256; // 64 characters of up to 4 UTF-8 bytes
export const MAX_ID_BYTES = 128; // UUIDv7 ids are 36
/** The send limit is the receive limit: a peer cannot store more than it could send. */
export const MAX_TEXT_BYTES = MAX_SEND_TEXT_BYTES;
/** The largest timestamp a Date can hold (ms since the epoch); plugins and the store rely on it. */
export const MAX_TS = 8.64e15;
export const MAX_VERSION_BYTES = 64;
export const MAX_CAPABILITIES = 32;
export const MAX_CAPABILITY_BYTES = 64;
export const MAX_ADDRESS_BYTES = 64; // "[v6 address]:port" is at most 47
export const MAX_PEER_ENTRIES = 1024;
export const KEY_BYTES = 32;

/** Message types on the channel, in protomux order. The hello is the channel's open handshake. */
export const MESSAGE_TYPES = { chat: 0, ack: 1, peersRequest: 2, peersAnswer: 3, exit: 4 } as const;
export const MESSAGE_COUNT = 5;

export interface State {
  start: number;
  end: number;
  buffer: Uint8Array | null;
}

export interface Codec<In, Out = In> {
  preencode(state: State, value: In): void;
  encode(state: State, value: In): void;
  decode(state: State): Out;
}

/** Why a chat was refused instead of acked (the ack's optional tail; see REFUSAL_CAPABILITY). */
export const REFUSAL_REASONS = { rateLimited: 1 } as const;
/** The longest wait a refusal may ask for; a larger stated wait is read as this. */
export const MAX_RETRY_AFTER_MS = 60 * 60 * 1000;

export interface Ack {
  id: string;
  /**
   * Set when the chat was refused, not kept: the reason (REFUSAL_REASONS; another number is a
   * refusal for a reason this revision does not know) and how long to wait before resending it.
   */
  refused?: { reason: number; retryAfterMs: number };
}
export interface PeersRequest {
  requestId: number;
}
export interface WireEntry {
  address: string;
  /** 32-byte Ed25519 public key, or null for a classic peer. */
  key: Buffer | null;
  name: string | null;
}
export interface PeersAnswer {
  requestId: number;
  entries: WireEntry[];
}
// biome-ignore lint/complexity/noBannedTypes: exit carries no fields
export type Exit = {};

class DecodeError extends Error {}

function fail(what: string): never {
  throw new DecodeError(what);
}

/** A UTF-8 string whose byte length is checked before it is read. */
function boundedString(max: number, what: string): Codec<string> {
  return {
    preencode(state, s) {
      c.string.preencode(state, s);
    },
    encode(state, s) {
      c.string.encode(state, s);
    },
    decode(state) {
      const len = c.uint.decode(state);
      if (len > max) fail(`${what} longer than ${max} bytes`);
      if (state.end - state.start < len) fail('out of bounds');
      const start = state.start;
      state.start += len;
      return b4a.toString(state.buffer as Uint8Array, 'utf8', start, state.start);
    },
  };
}

const anyName = boundedString(MAX_NAME_BYTES, 'name');
/** Names are shown to people: only printable characters (src/sanitize.ts) are accepted. */
const name: Codec<string> = {
  preencode: anyName.preencode,
  encode: anyName.encode,
  decode(state) {
    const n = anyName.decode(state);
    if (!isPrintableName(n)) fail('name with control characters');
    return n;
  },
};
const id = boundedString(MAX_ID_BYTES, 'id');
const text = boundedString(MAX_TEXT_BYTES, 'text');
const version = boundedString(MAX_VERSION_BYTES, 'version');
const capability = boundedString(MAX_CAPABILITY_BYTES, 'capability');
const address = boundedString(MAX_ADDRESS_BYTES, 'address');

function boundedCount(state: State, max: number, what: string): number {
  const n = c.uint.decode(state);
  if (n > max) fail(`more than ${max} ${what}`);
  return n;
}

export const hello: Codec<Hello> = {
  preencode(state, m) {
    name.preencode(state, m.name);
    c.uint.preencode(state, m.port);
    version.preencode(state, m.version);
    c.uint.preencode(state, m.capabilities.length);
    for (const cap of m.capabilities) capability.preencode(state, cap);
  },
  encode(state, m) {
    name.encode(state, m.name);
    c.uint.encode(state, m.port);
    version.encode(state, m.version);
    c.uint.encode(state, m.capabilities.length);
    for (const cap of m.capabilities) capability.encode(state, cap);
  },
  decode(state) {
    const n = name.decode(state);
    const port = c.uint.decode(state);
    if (port > 65535) fail('port out of range');
    const v = version.decode(state);
    const count = boundedCount(state, MAX_CAPABILITIES, 'capabilities');
    const capabilities: string[] = [];
    for (let i = 0; i < count; i++) capabilities.push(capability.decode(state));
    return { name: n, port, version: v, capabilities };
  },
};

export const chat: Codec<WireChat> = {
  preencode(state, m) {
    id.preencode(state, m.id);
    c.uint.preencode(state, m.ts);
    text.preencode(state, m.text);
  },
  encode(state, m) {
    id.encode(state, m.id);
    c.uint.encode(state, m.ts);
    text.encode(state, m.text);
  },
  decode(state) {
    const i = id.decode(state);
    const ts = c.uint.decode(state);
    if (!Number.isSafeInteger(ts) || ts > MAX_TS) fail('timestamp out of range');
    return { id: i, ts, text: text.decode(state) };
  },
};

/**
 * An ack is the id alone; a refusal appends `reason` uint and `retryAfterMs` uint. A 0.1.0 peer
 * ignores the tail and would take a refusal for an ack, so refusals go only to peers whose hello
 * lists REFUSAL_CAPABILITY (session.ts); the others get no ack, as from 0.1.0.
 */
export const ack: Codec<Ack> = {
  preencode(state, m) {
    id.preencode(state, m.id);
    if (m.refused) {
      c.uint.preencode(state, m.refused.reason);
      c.uint.preencode(state, m.refused.retryAfterMs);
    }
  },
  encode(state, m) {
    id.encode(state, m.id);
    if (m.refused) {
      c.uint.encode(state, m.refused.reason);
      c.uint.encode(state, m.refused.retryAfterMs);
    }
  },
  decode(state) {
    const i = id.decode(state);
    if (state.start >= state.end) return { id: i };
    const reason = c.uint.decode(state);
    if (reason === 0) fail('refusal without a reason');
    const retryAfterMs = Math.min(c.uint.decode(state), MAX_RETRY_AFTER_MS);
    return { id: i, refused: { reason, retryAfterMs } };
  },
};

export const peersRequest: Codec<PeersRequest> = {
  preencode(state, m) {
    c.uint.preencode(state, m.requestId);
  },
  encode(state, m) {
    c.uint.encode(state, m.requestId);
  },
  decode(state) {
    return { requestId: c.uint.decode(state) };
  },
};

const HAS_KEY = 1;
const HAS_NAME = 2;

const entry: Codec<WireEntry> = {
  preencode(state, e) {
    state.end++; // flags
    address.preencode(state, e.address);
    if (e.key) state.end += KEY_BYTES;
    if (e.name !== null) name.preencode(state, e.name);
  },
  encode(state, e) {
    const buf = state.buffer as Uint8Array;
    buf[state.start++] = (e.key ? HAS_KEY : 0) | (e.name !== null ? HAS_NAME : 0);
    address.encode(state, e.address);
    if (e.key) {
      if (e.key.byteLength !== KEY_BYTES) throw new TypeError('a peer key must be 32 bytes');
      buf.set(e.key, state.start);
      state.start += KEY_BYTES;
    }
    if (e.name !== null) name.encode(state, e.name);
  },
  decode(state) {
    if (state.start >= state.end) fail('out of bounds');
    const flags = (state.buffer as Uint8Array)[state.start++] as number;
    if (flags > (HAS_KEY | HAS_NAME)) fail('unknown entry flags');
    const addr = address.decode(state);
    let key: Buffer | null = null;
    if (flags & HAS_KEY) {
      if (state.end - state.start < KEY_BYTES) fail('out of bounds');
      // a copy, so a kept key does not pin the whole frame in memory
      key = Buffer.from((state.buffer as Uint8Array).subarray(state.start, state.start + KEY_BYTES));
      state.start += KEY_BYTES;
    }
    const raw = flags & HAS_NAME ? anyName.decode(state) : null;
    // a bad name costs the entry its name, not the whole answer its other entries
    const n = raw !== null && isPrintableName(raw) ? raw : null;
    return { address: addr, key, name: n };
  },
};

export const peersAnswer: Codec<PeersAnswer> = {
  preencode(state, m) {
    c.uint.preencode(state, m.requestId);
    c.uint.preencode(state, m.entries.length);
    for (const e of m.entries) entry.preencode(state, e);
  },
  encode(state, m) {
    c.uint.encode(state, m.requestId);
    c.uint.encode(state, m.entries.length);
    for (const e of m.entries) entry.encode(state, e);
  },
  decode(state) {
    const requestId = c.uint.decode(state);
    const count = boundedCount(state, MAX_PEER_ENTRIES, 'peer entries');
    const entries: WireEntry[] = [];
    for (let i = 0; i < count; i++) entries.push(entry.decode(state));
    return { requestId, entries };
  },
};

export const exit: Codec<Exit> = {
  preencode() {},
  encode() {},
  decode() {
    return {};
  },
};

/**
 * The codec with a decoder that never throws: bad bytes decode to null. Trailing bytes are
 * ignored, so a later revision of the same protocol version may append fields.
 */
export function safe<T>(codec: Codec<T>): Codec<T, T | null> {
  return {
    preencode: codec.preencode,
    encode: codec.encode,
    decode(state) {
      try {
        return codec.decode(state);
      } catch {
        return null;
      }
    },
  };
}

/** Decode one whole buffer with the codec; null when the bytes are not a valid message. */
export function safeDecode<T>(codec: Codec<T>, buffer: Uint8Array): T | null {
  try {
    return codec.decode({ start: 0, end: buffer.byteLength, buffer });
  } catch {
    return null;
  }
}

/** The encoded size of a message. */
export function encodingLength<T>(codec: Codec<T>, value: T): number {
  const state: State = { start: 0, end: 0, buffer: null };
  codec.preencode(state, value);
  return state.end;
}

/** Encode one message into a fresh buffer. */
export function encode<T>(codec: Codec<T>, value: T): Buffer {
  const state: State = { start: 0, end: 0, buffer: null };
  codec.preencode(state, value);
  const buffer = Buffer.allocUnsafe(state.end);
  state.buffer = buffer;
  codec.encode(state, value);
  return buffer;
}
