/**
 * Every write of a native session goes out here: batched (the mux stays corked until the event
 * loop turns, so a burst leaves in few writes) and within an output budget. What the remote
 * triggers (acks, peers answers) may leave at most REPLY_BUDGET_BYTES unread in our buffers, our
 * own chats and requests at most OWN_BUDGET_BYTES; past it the session is closed, since a remote
 * that never reads would otherwise make us hold everything we answer.
 */
import type Protomux from 'protomux';

/** A corked batch is one secret-stream frame; uncork before it nears the guard's MAX_FRAME. */
export const BATCH_BYTES = 64 * 1024;
/** Unread output allowed when writing what the remote asked for (acks, peers answers). */
export const REPLY_BUDGET_BYTES = 1024 * 1024;
/** Unread output allowed when writing our own chats and requests (a full window of large chats). */
export const OWN_BUDGET_BYTES = 32 * 1024 * 1024;

// biome-ignore lint/suspicious/noExplicitAny: protomux message handles are untyped
export type MessageHandle = { send(message: any): boolean };

export class BatchWriter {
  private corked = false;
  private batchBytes = 0;
  private readonly uncorkBound = () => this.uncork();

  constructor(
    private readonly mux: Protomux,
    /** Bytes written and not yet taken by the remote (stream and socket buffers). */
    private readonly unread: () => number,
    /** Called once a write would pass the budget; the write is not made. */
    private readonly overBudget: (unread: number, budget: number) => void,
  ) {}

  /** Write a message (`bytes`: an upper bound of its encoded size); false when over the budget. */
  send(handle: MessageHandle, message: unknown, bytes: number, budget: number): boolean {
    const unread = this.unread() + this.batchBytes;
    if (unread + bytes > budget) {
      this.overBudget(unread, budget);
      return false;
    }
    if (!this.corked) {
      this.mux.cork();
      this.corked = true;
      this.batchBytes = 0;
      setImmediate(this.uncorkBound);
    } else if (this.batchBytes + bytes > BATCH_BYTES) {
      this.flush();
    }
    this.batchBytes += bytes;
    handle.send(message);
    return true;
  }

  /** Write the corked batch now. protomux corks too (while it reads a batch): unwind every level. */
  flush(): void {
    const levels = this.mux.corked;
    for (let i = 0; i < levels; i++) this.mux.uncork();
    for (let i = 0; i < levels; i++) this.mux.cork();
    this.batchBytes = 0;
  }

  uncork(): void {
    if (!this.corked) return;
    this.corked = false;
    this.batchBytes = 0;
    this.mux.uncork();
  }
}

/** Bytes written and not yet taken by the remote: the secret-stream's queue and its socket's. */
export function unreadBytes(
  stream: { rawStream?: unknown },
  socket: { writableLength: number } | null,
): number {
  const queued = (s: unknown) =>
    (s as { _writableState?: { buffered?: number } } | null)?._writableState?.buffered ?? 0;
  const raw = socket ?? (stream.rawStream as { writableLength?: number } | null);
  return queued(stream) + (raw?.writableLength ?? queued(raw));
}
