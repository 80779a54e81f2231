/**
 * One room message as stored in an author's core. Blocks are JSON; every field read back from
 * a core someone else wrote is a claim and is checked here before anything uses it.
 */
import { PeerchatError } from '../../errors.js';
import { MAX_ID_BYTES, MAX_NAME_BYTES, MAX_TEXT_BYTES, MAX_TS } from '../../net/native/messages.js';
import { isPrintableName } from '../../sanitize.js';

export const ENTRY_VERSION = 1;
/** A block larger than this is rejected before it is parsed (text limit plus the JSON around it). */
export const MAX_BLOCK_BYTES = MAX_TEXT_BYTES * 6 + MAX_NAME_BYTES * 6 + MAX_ID_BYTES + 256;
/** How far into the future (by the reader's clock) a timestamp may lie. */
export const MAX_CLOCK_SKEW_MS = 10 * 60 * 1000;

export interface EntryBody {
  id: string;
  ts: number;
  name: string;
  text: string;
}

export function encodeEntry(body: EntryBody): Buffer {
  checkEntry({ ...body }, Number.POSITIVE_INFINITY);
  return Buffer.from(JSON.stringify({ v: ENTRY_VERSION, ...body }));
}

/** Decodes and checks a block; throws ERR_BAD_FRAME saying which claim failed. */
export function decodeEntry(block: Uint8Array, now = Date.now()): EntryBody {
  if (block.byteLength > MAX_BLOCK_BYTES) bad(`block of ${block.byteLength} bytes`);
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(block.buffer, block.byteOffset, block.byteLength).toString('utf8'));
  } catch (err) {
    throw new PeerchatError('ERR_BAD_FRAME', 'room log block is not JSON', { cause: err });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) bad('block is not an object');
  const o = raw as Record<string, unknown>;
  if (o.v !== ENTRY_VERSION) bad(`unknown entry version ${String(o.v)}`);
  const body = { id: o.id, ts: o.ts, name: o.name, text: o.text };
  checkEntry(body, now + MAX_CLOCK_SKEW_MS);
  return body as EntryBody;
}

function checkEntry(b: Record<string, unknown>, maxTs: number): void {
  if (typeof b.id !== 'string' || b.id === '' || Buffer.byteLength(b.id) > MAX_ID_BYTES) bad('bad id');
  if (typeof b.ts !== 'number' || !Number.isSafeInteger(b.ts) || b.ts < 0 || b.ts > MAX_TS) {
    bad('timestamp out of range');
  }
  if ((b.ts as number) > maxTs) bad('timestamp in the future');
  if (typeof b.name !== 'string' || Buffer.byteLength(b.name) > MAX_NAME_BYTES || !isPrintableName(b.name)) {
    bad('bad name');
  }
  if (typeof b.text !== 'string' || Buffer.byteLength(b.text) > MAX_TEXT_BYTES) {
    throw new PeerchatError(
      'ERR_MESSAGE_TOO_LONG',
      `room message text over ${MAX_TEXT_BYTES} bytes or not text`,
    );
  }
}

function bad(what: string): never {
  throw new PeerchatError('ERR_BAD_FRAME', `room log entry rejected: ${what}`);
}
