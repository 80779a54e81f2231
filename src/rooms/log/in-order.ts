/**
 * One author's downloaded entries, emitted in the order written whatever order the blocks arrive
 * in (a late joiner fetches from several members at once). A gap that does not fill within
 * GAP_MS (no member online holds that block) is passed over, so later entries are not held back.
 */
import type { RoomEntry } from './public-types.js';

export const GAP_MS = 2000;

export class InOrder {
  /** The next seq to emit. */
  private next = 0;
  private readonly held = new Map<number, RoomEntry>();
  /** Seqs to pass without emitting: already on disk at open, or unreadable. */
  private readonly done = new Set<number>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly emit: (entry: RoomEntry) => void) {}

  /** `seq` needs no emit (held at open, or a bad block). */
  pass(seq: number): void {
    if (seq < this.next) return;
    this.done.add(seq);
    this.drain();
  }

  push(entry: RoomEntry): void {
    if (entry.seq < this.next) {
      this.emit(entry); // arrived after its gap was passed over
      return;
    }
    this.held.set(entry.seq, entry);
    this.drain();
  }

  /** Nothing below `seq` is emitted any more (retention moved past it, or the download starts there). */
  skipTo(seq: number): void {
    if (seq <= this.next) return;
    for (const k of this.held.keys()) if (k < seq) this.held.delete(k);
    for (const k of this.done) if (k < seq) this.done.delete(k);
    this.next = seq;
    this.drain();
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.held.clear();
  }

  private drain(): void {
    for (;;) {
      const e = this.held.get(this.next);
      if (e) {
        this.held.delete(this.next);
        this.next++;
        this.emit(e);
      } else if (this.done.delete(this.next)) {
        this.next++;
      } else break;
    }
    if (this.held.size === 0) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.skipTo(Math.min(...this.held.keys()));
      }, GAP_MS);
      this.timer.unref();
    }
  }
}
