/**
 * Outgoing messages as data: building one for a peer, the classic frame limits, the plain form the
 * events carry, and a failure as SendResult carries it.
 */
import { v7 as uuidv7 } from 'uuid';
import { type Code, PeerchatError, toFailure } from '../errors.js';
import { encodeFrame, ORIGINAL_READ_BYTES } from '../net/classic/codec.js';
import { fingerprint } from '../net/native/identity.js';
import type { ChatMessage } from '../types.js';
import type { PeerRecord } from './table.js';

/** The last key's fingerprint: a SHA-256 per message cost 3–4 % of a pipelined send (measured). */
let lastKey: string | null = null;
let lastFingerprint = '';

function fingerprintOf(key: string): string {
  if (key !== lastKey) {
    lastFingerprint = fingerprint(key);
    lastKey = key;
  }
  return lastFingerprint;
}

/** A new outgoing message to `rec`: native (with `key`) or classic. */
export function outgoingMessage(
  rec: PeerRecord,
  native: boolean,
  key: string | null,
  text: string,
): ChatMessage {
  return {
    id: uuidv7(),
    from: rec.address,
    name: rec.name,
    text,
    protocol: native ? 'native' : 'classic',
    verified: native,
    key: native ? key : null,
    fingerprint: native && key ? fingerprintOf(key) : null,
    ts: Date.now(),
    direction: 'out',
  };
}

/** A classic frame must fit the original's single 1024-byte read, and be one line. */
export function checkClassicText(name: string, port: number, text: string): void {
  if (/[\r\n]/.test(text)) {
    throw new PeerchatError('ERR_MESSAGE_TOO_LONG', 'classic messages are one line: remove the line breaks');
  }
  const bytes = Buffer.byteLength(encodeFrame({ verb: 'MESSAGE', name, port, text })) - 1;
  if (bytes > ORIGINAL_READ_BYTES) {
    throw new PeerchatError(
      'ERR_MESSAGE_TOO_LONG',
      `the MESSAGE frame would be ${bytes} bytes; classic peers read at most ${ORIGINAL_READ_BYTES} (shorten the text by ${bytes - ORIGINAL_READ_BYTES} bytes)`,
    );
  }
}

/** A stored row (or a message) as the plain ChatMessage the events carry. */
export function plain(m: ChatMessage): ChatMessage {
  return {
    id: m.id,
    from: m.from,
    name: m.name,
    text: m.text,
    protocol: m.protocol,
    verified: m.verified,
    key: m.key,
    fingerprint: m.fingerprint,
    ts: m.ts,
    direction: m.direction,
  };
}

/** A failure as SendResult carries it: `error` stays the text, `code` says which (ERR_INTERNAL if uncoded). */
export function sendError(err: unknown): { error: string; code: Code } {
  const { code, message } = toFailure(err);
  return { error: message, code };
}
