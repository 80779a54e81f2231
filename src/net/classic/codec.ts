/**
 * The classic BlockMiners frames (docs: classic-protocol.md). Pure functions, no sockets.
 * Parsing never throws: bad input comes back as a coded result.
 */
import { isUtf8 } from 'node:buffer';
import type { Code } from '../../errors.js';
import { isPrintableName } from '../../sanitize.js';
import { parseAddress, parsePort } from '../address.js';

/** The original reads 1024 bytes per recv; longer frames get cut on its side. */
export const ORIGINAL_READ_BYTES = 1024;
/** Frames beyond this many bytes close the connection. */
export const MAX_FRAME_BYTES = 64 * 1024;

export type Frame =
  | { verb: 'CONNECT'; name: string; port: number; extra: string[] }
  | { verb: 'ACK'; name: string; port: number; extra: string[] }
  | { verb: 'MESSAGE'; name: string; port: number; text: string }
  | { verb: 'QUERY' }
  | { verb: 'PEERLIST'; keys: string[]; rejected: number }
  | { verb: 'EXIT'; port: number }
  /** The assignment's bare form "<ip>:<port> <name> <text>", accepted as a courtesy. */
  | { verb: 'BARE'; address: string; name: string; text: string };

export type ParseResult = { ok: true; frame: Frame } | { ok: false; code: Code; message: string };

const NAME_RE = /^[^\s:]{1,64}$/u;

/** A name is 1–64 characters, no white space or ":", and printable (no escapes, no bidi controls). */
function validName(name: string): boolean {
  return NAME_RE.test(name) && isPrintableName(name);
}

function bad(code: Code, message: string): ParseResult {
  return { ok: false, code, message };
}

/** Parse one frame's text (already trimmed of surrounding white space). */
export function parseFrame(line: string): ParseResult {
  if (line === 'QUERY') return { ok: true, frame: { verb: 'QUERY' } };
  const colon = line.indexOf(':');
  const verb = colon === -1 ? line : line.slice(0, colon);
  switch (verb) {
    case 'CONNECT':
    case 'ACK': {
      const parts = line.split(':');
      if (parts.length < 3) return bad('ERR_BAD_FRAME', `${verb} without name and port`);
      const name = parts[1]!;
      if (!validName(name))
        return bad('ERR_INVALID_NAME', `${verb} with an invalid name ${JSON.stringify(name)}`);
      const port = parsePort(parts[2]!);
      if (port === null)
        return bad('ERR_BAD_FRAME', `${verb} with an invalid port ${JSON.stringify(parts[2])}`);
      return { ok: true, frame: { verb, name, port, extra: parts.slice(3) } };
    }
    case 'MESSAGE': {
      const a = line.indexOf(':', colon + 1);
      const b = a === -1 ? -1 : line.indexOf(':', a + 1);
      if (b === -1) return bad('ERR_BAD_FRAME', 'MESSAGE without name, port and text');
      const name = line.slice(colon + 1, a);
      if (!validName(name))
        return bad('ERR_INVALID_NAME', `MESSAGE with an invalid name ${JSON.stringify(name)}`);
      const port = parsePort(line.slice(a + 1, b));
      if (port === null)
        return bad('ERR_BAD_FRAME', `MESSAGE with an invalid port ${JSON.stringify(line.slice(a + 1, b))}`);
      return { ok: true, frame: { verb: 'MESSAGE', name, port, text: line.slice(b + 1) } };
    }
    case 'PEERLIST': {
      if (colon === -1) return bad('ERR_BAD_FRAME', 'PEERLIST without ":"');
      const keys: string[] = [];
      let rejected = 0;
      for (const raw of line.slice(colon + 1).split(',')) {
        const key = raw.trim();
        if (key === '') continue;
        const a = parseAddress(key);
        if (a) keys.push(`${a.host}:${a.port}`);
        else rejected++;
      }
      return { ok: true, frame: { verb: 'PEERLIST', keys, rejected } };
    }
    case 'EXIT': {
      const port = colon === -1 ? null : parsePort(line.slice(colon + 1));
      if (port === null) return bad('ERR_BAD_FRAME', 'EXIT without a valid port');
      return { ok: true, frame: { verb: 'EXIT', port } };
    }
    default:
      return parseBare(line);
  }
}

function parseBare(line: string): ParseResult {
  const sp1 = line.indexOf(' ');
  const sp2 = sp1 === -1 ? -1 : line.indexOf(' ', sp1 + 1);
  const address = sp1 === -1 ? null : parseAddress(line.slice(0, sp1));
  if (address && sp2 !== -1) {
    const name = line.slice(sp1 + 1, sp2);
    if (validName(name)) {
      return {
        ok: true,
        frame: { verb: 'BARE', address: `${address.host}:${address.port}`, name, text: line.slice(sp2 + 1) },
      };
    }
  }
  const shown = line.length > 40 ? `${line.slice(0, 40)}…` : line;
  return bad('ERR_UNKNOWN_MESSAGE', `unknown classic frame ${JSON.stringify(shown)}`);
}

/** Encode a frame as one line. Every frame ends with "\n", harmless to the original (it strips). */
export function encodeFrame(frame: Frame): string {
  switch (frame.verb) {
    case 'CONNECT':
    case 'ACK':
      return `${[frame.verb, frame.name, String(frame.port), ...frame.extra].join(':')}\n`;
    case 'MESSAGE':
      return `MESSAGE:${frame.name}:${frame.port}:${frame.text}\n`;
    case 'QUERY':
      return 'QUERY\n';
    case 'PEERLIST':
      return `PEERLIST:${frame.keys.join(',')}\n`;
    case 'EXIT':
      return `EXIT:${frame.port}\n`;
    case 'BARE':
      return `${frame.address} ${frame.name} ${frame.text}\n`;
  }
}

/** `end` is the offset in the pushed chunk just past this frame's terminator. */
export type DecodeEvent = ({ ok: true; line: string } | { ok: false; code: Code; message: string }) & {
  end: number;
};

/**
 * Splits a byte stream into frames. A "\n" ends a frame; bytes without one wait for
 * `flush()` (the caller flushes on end or after a short quiet gap, because the original
 * sends each frame in one write with no terminator).
 */
export class FrameDecoder {
  private parts: Buffer[] = [];
  private size = 0;

  constructor(readonly maxFrameBytes = MAX_FRAME_BYTES) {}

  /** True when bytes wait for a terminator. */
  get pending(): boolean {
    return this.size > 0;
  }

  /** Feed a chunk; returns complete frames. An oversize frame is returned as an error and the rest dropped. */
  push(chunk: Buffer): DecodeEvent[] {
    const out: DecodeEvent[] = [];
    let start = 0;
    let nl = chunk.indexOf(10);
    while (nl !== -1) {
      const piece = chunk.subarray(start, nl);
      if (this.size + piece.length > this.maxFrameBytes) return this.oversize(out);
      const frame = this.size === 0 ? piece : Buffer.concat([...this.parts, piece], this.size + piece.length);
      this.parts = [];
      this.size = 0;
      start = nl + 1;
      const ev = decodeBytes(frame, start);
      if (ev) out.push(ev);
      nl = chunk.indexOf(10, start);
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      if (this.size + rest.length > this.maxFrameBytes) return this.oversize(out);
      this.parts.push(rest);
      this.size += rest.length;
    }
    return out;
  }

  /** Take the unterminated bytes as they are (for a protocol upgrade). */
  takeRaw(): Buffer {
    const raw = Buffer.concat(this.parts, this.size);
    this.parts = [];
    this.size = 0;
    return raw;
  }

  /** Take the unterminated tail as a frame. */
  flush(): DecodeEvent | null {
    if (this.size === 0) return null;
    const frame = Buffer.concat(this.parts, this.size);
    this.parts = [];
    this.size = 0;
    return decodeBytes(frame, 0);
  }

  private oversize(out: DecodeEvent[]): DecodeEvent[] {
    this.parts = [];
    this.size = 0;
    out.push({
      ok: false,
      code: 'ERR_FRAME_TOO_LARGE',
      message: `classic frame over ${this.maxFrameBytes} bytes`,
      end: 0,
    });
    return out;
  }
}

function decodeBytes(bytes: Buffer, end: number): DecodeEvent | null {
  if (!isUtf8(bytes))
    return { ok: false, code: 'ERR_BAD_FRAME', message: 'classic frame is not valid UTF-8', end };
  const line = bytes.toString('utf8').trim();
  return line === '' ? null : { ok: true, line, end };
}
