/** --json: stdout carries only NDJSON, one object per line, each with a `type` field (a public contract). */
import type { Writable } from 'node:stream';
import type { Warning } from '../errors.js';
import type { ListeningInfo, PeerApi, PeerEvents } from '../peer/api.js';
import type { ChatMessage, DisconnectReason, PeerInfo, Protocol } from '../types.js';
import { errorCode, errorMessage } from './format.js';

export type JsonEvent =
  | { type: 'listening'; name: string; host: string; port: number; id: string | null }
  | {
      type: 'message';
      from: string;
      name: string | null;
      text: string;
      protocol: Protocol;
      verified: boolean;
      id: string;
      ts: number;
      /** The other side ("ip:port"), as in `history --json` and `export`. */
      peer: string;
      direction: 'in' | 'out';
      /** A room message: its room (absent for one-to-one messages). */
      room?: string;
      /** A room message that arrived by catch-up rather than live. */
      late?: boolean;
      /** A room message: the author's room log key (hex), which signed it. */
      key?: string | null;
    }
  | { type: 'peer-connected'; peer: string; name: string | null; protocol: Protocol | null }
  | { type: 'peer-disconnected'; peer: string; name: string | null; reason: DisconnectReason }
  | { type: 'peer-discovered'; peer: string }
  /** A message whose send() did not wait for its ack was acknowledged (`message-delivered`). */
  | { type: 'message-delivered'; id: string; peer: string; name: string | null; text: string; ts: number }
  | { type: 'result'; value: unknown }
  | { type: 'warning'; code: string; message: string }
  | { type: 'error'; code: string; message: string };

/** Code for thrown values that carry none (a script's own TypeError, a syntax error). */
export const UNCODED_ERROR = 'ERR_SCRIPT';

/**
 * A JSON-safe copy: undefined -> null, bigint -> string, errors -> {name, code, message},
 * Map/Set -> object/array, functions dropped, repeated or circular references -> "[Circular]".
 */
export function toJsonValue(value: unknown): unknown {
  const seen = new WeakSet<object>();
  const convert = (v: unknown): unknown => {
    if (v === undefined || typeof v === 'function' || typeof v === 'symbol') return null;
    if (typeof v === 'bigint') return v.toString();
    if (typeof v === 'number') return Number.isFinite(v) ? v : null;
    if (v === null || typeof v !== 'object') return v;
    if (seen.has(v)) return '[Circular]';
    seen.add(v);
    try {
      if (ArrayBuffer.isView(v)) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex');
      if (typeof (v as { toJSON?: unknown }).toJSON === 'function')
        return convert((v as { toJSON(): unknown }).toJSON());
      if ('message' in v && 'stack' in v) {
        return { name: (v as Error).name, code: errorCode(v), message: errorMessage(v) };
      }
      if (Array.isArray(v)) return v.map(convert);
      if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [String(k), convert(x)]));
      if (v instanceof Set) return [...v].map(convert);
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) {
        if (typeof x === 'function' || x === undefined) continue;
        out[k] = convert(x);
      }
      return out;
    } finally {
      seen.delete(v); // only ancestors count as circular; siblings may share an object
    }
  };
  return convert(value);
}

/**
 * Message lines not written yet, per stream (every JsonWriter on it shares them, so order holds).
 * A burst of messages (one read, or one commit's worth) leaves in one write at the end of the
 * tick: on a pipe each write is a syscall, and one per line cost a receiver of 20,000 messages
 * about 10 µs each (docs/benchmarks.md). Any other event writes what waits, then itself, at once.
 */
const unwritten = new WeakMap<Writable, string[]>();

function flushLines(out: Writable, also = ''): void {
  const lines = unwritten.get(out);
  unwritten.delete(out);
  const text = lines ? lines.join('') + also : also;
  if (text !== '' && !out.writableEnded && !out.destroyed) out.write(text);
}

export class JsonWriter {
  constructor(private readonly out: Writable) {}

  write(event: JsonEvent): void {
    const { out } = this;
    if (out.writableEnded || out.destroyed) return;
    const line = `${JSON.stringify(event)}\n`;
    if (event.type !== 'message') {
      flushLines(out, line);
      return;
    }
    let lines = unwritten.get(out);
    if (!lines) {
      lines = [];
      unwritten.set(out, lines);
      // after this turn's microtasks too: a commit's messages come out of one microtask run
      process.nextTick(flushLines, out);
    }
    lines.push(line);
  }

  listening(info: ListeningInfo): void {
    this.write({ type: 'listening', name: info.name, host: info.host, port: info.port, id: info.id });
  }

  message(msg: ChatMessage): void {
    const { from, name, text, protocol, verified, id, ts, direction } = msg;
    // `peer` and `direction` as in `history --json` and `export` (docs/storage.md); `from` stays.
    // A room message adds its room and whether it came by catch-up (absent for one-to-one)
    const room = msg.room === undefined ? {} : { room: msg.room, late: msg.late === true, key: msg.key };
    this.write({
      type: 'message',
      from,
      name,
      text,
      protocol,
      verified,
      id,
      ts,
      peer: from,
      direction,
      ...room,
    });
  }

  connected(p: PeerInfo): void {
    this.write({ type: 'peer-connected', peer: p.address, name: p.name, protocol: p.protocol });
  }

  disconnected(p: PeerInfo, reason: DisconnectReason): void {
    this.write({ type: 'peer-disconnected', peer: p.address, name: p.name, reason });
  }

  discovered(p: PeerInfo): void {
    this.write({ type: 'peer-discovered', peer: p.address });
  }

  delivered(msg: ChatMessage): void {
    const { id, from, name, text, ts } = msg;
    this.write({ type: 'message-delivered', id, peer: from, name, text, ts });
  }

  result(value: unknown): void {
    this.write({ type: 'result', value: toJsonValue(value) });
  }

  warning(w: Warning): void {
    this.write({ type: 'warning', code: w.code, message: w.message });
  }

  error(err: unknown): void {
    this.write({ type: 'error', code: errorCode(err) ?? UNCODED_ERROR, message: errorMessage(err) });
  }
}

export interface AttachJsonOptions {
  /** Write a `listening` line now, for a peer that was already listening when attached. @default false */
  announce?: boolean;
}

/** Subscribe `writer` to the peer's events. Returns the function that unsubscribes. */
export function attachJson(peer: PeerApi, writer: JsonWriter, opts: AttachJsonOptions = {}): () => void {
  const handlers: { [E in keyof PeerEvents]?: (...args: PeerEvents[E]) => void } = {
    listening: (info) => writer.listening(info),
    message: (msg) => {
      if (msg.direction !== 'out') writer.message(msg);
    },
    'peer-connected': (p) => writer.connected(p),
    'peer-disconnected': (p, reason) => writer.disconnected(p, reason),
    'peer-discovered': (p) => writer.discovered(p),
    'message-delivered': (msg) => writer.delivered(msg),
    warning: (w) => writer.warning(w),
  };
  for (const [event, fn] of Object.entries(handlers)) peer.on(event as keyof PeerEvents, fn as never);
  if (opts.announce) writer.listening({ name: peer.name, host: peer.host, port: peer.port, id: peer.id });
  return () => {
    for (const [event, fn] of Object.entries(handlers)) peer.off(event as keyof PeerEvents, fn as never);
  };
}
