/**
 * Per-sender rate limits of what comes in: one token bucket of messages and one of bytes per
 * sender (its key, or a classic sender's IP), each filling at its rate up to RATE_BURST_SECONDS'
 * worth. The senders tracked are bounded; the least recently seen is forgotten first.
 */
import { RATE_BURST_SECONDS, RATE_SENDERS } from '../defaults.js';

interface Bucket {
  messages: number;
  bytes: number;
  at: number;
}

export class SenderRates {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly messagesPerSecond: number,
    private readonly bytesPerSecond: number,
  ) {}

  /** Take one message of `bytes` from `sender`'s buckets; false (nothing taken) over the rate. */
  take(sender: string, bytes: number, now = Date.now()): boolean {
    const maxMessages = this.messagesPerSecond * RATE_BURST_SECONDS;
    const maxBytes = this.bytesPerSecond * RATE_BURST_SECONDS;
    let b = this.buckets.get(sender);
    if (b) {
      this.buckets.delete(sender); // re-inserted below: the map stays in least-recently-seen order
      const seconds = (now - b.at) / 1000;
      b.messages = Math.min(maxMessages, b.messages + seconds * this.messagesPerSecond);
      b.bytes = Math.min(maxBytes, b.bytes + seconds * this.bytesPerSecond);
      b.at = now;
    } else {
      b = { messages: maxMessages, bytes: maxBytes, at: now };
      if (this.buckets.size >= RATE_SENDERS) this.buckets.delete(this.buckets.keys().next().value!);
    }
    this.buckets.set(sender, b);
    if (b.messages < 1 || b.bytes < bytes) return false;
    b.messages -= 1;
    b.bytes -= bytes;
    return true;
  }

  /**
   * After a refused take(): milliseconds until `sender` could send a message of `bytes` (at least
   * 1). A message larger than the byte burst never fits; it is told to wait a whole burst.
   */
  retryAfterMs(sender: string, bytes: number): number {
    if (bytes > this.bytesPerSecond * RATE_BURST_SECONDS) return RATE_BURST_SECONDS * 1000;
    const b = this.buckets.get(sender);
    if (!b) return 1;
    const forMessage = (1 - b.messages) / this.messagesPerSecond;
    const forBytes = (bytes - b.bytes) / this.bytesPerSecond;
    return Math.max(1, Math.ceil(Math.max(forMessage, forBytes) * 1000));
  }
}
