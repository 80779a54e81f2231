/** The one warning sink of a peer: rate-limited per code, so a flood of bad input cannot flood the output. */
import { EventEmitter } from 'node:events';
import { type Code, toWarning, type Warning } from '../errors.js';

/** At most this many warnings of one code per window; the rest are counted and summarised. */
export const WARNINGS_PER_WINDOW = 10;
export const WARNING_WINDOW_MS = 1000;

export class WarningLimiter {
  private windows = new Map<string, { start: number; count: number; dropped: number }>();

  constructor(private readonly emit: (w: Warning) => void) {}

  report(w: Warning): void {
    const now = Date.now();
    let win = this.windows.get(w.code);
    if (!win || now - win.start >= WARNING_WINDOW_MS) {
      if (win && win.dropped > 0) {
        this.emit({ code: w.code, message: `${win.dropped} more warnings of this kind were suppressed` });
      }
      win = { start: now, count: 0, dropped: 0 };
      this.windows.set(w.code, win);
    }
    if (win.count < WARNINGS_PER_WINDOW) {
      win.count++;
      this.emit(w);
    } else {
      win.dropped++;
    }
  }
}

/**
 * The one sink every part of a running peer reports through (network, plugins, auto-connect,
 * the CLI): rate-limited, then emitted as 'warning'. Created first and passed in.
 */
export class Warnings extends EventEmitter<{ warning: [warning: Warning] }> {
  private readonly limiter = new WarningLimiter((w) => this.emit('warning', w));
  /** Pass to an emitter's 'warning' event: `x.on('warning', warnings.sink)`. */
  readonly sink = (w: Warning): void => this.limiter.report(w);

  warn(code: Code, message: string, cause?: unknown): void {
    this.limiter.report({ code, message, cause });
  }

  /**
   * A failure of an operation. Network faults arrive coded (net/dial.ts, the sessions); an uncoded
   * error is a bug somewhere (a store, a plugin, ours) and is labelled ERR_INTERNAL, not as the network.
   */
  fail(err: unknown, context: string): void {
    this.limiter.report(toWarning(err, context, 'ERR_INTERNAL'));
  }

  /** `read()`, or `fallback` and a warning (fail) when it throws: for reads a timer makes. */
  guard<T>(read: () => T, fallback: T, context: string): T {
    try {
      return read();
    } catch (err) {
      this.fail(err, context);
      return fallback;
    }
  }
}
