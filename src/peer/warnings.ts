/** Rate-limits warnings per code, so a flood of bad input cannot flood the output. */
import type { Warning } from '../errors.js';

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
