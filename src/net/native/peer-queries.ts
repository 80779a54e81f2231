/**
 * The peers messages of a native session: our requests waiting for their answers (with a
 * timeout), the rate of the remote's requests (a token bucket: answering is what costs us), and
 * the entries of an answer as they go on the wire.
 */
import { PeerchatError } from '../../errors.js';
import type { PeerEntry } from '../../types.js';
import * as m from './messages.js';

/**
 * Peers requests answered at once (a burst), then one per PEER_REQUEST_REFILL_MS. Up to
 * PEER_REQUEST_BURST more wait for their turn (an honest peer that asks again within the second
 * gets its answer late, not a 5 s timeout); beyond that they are dropped, unanswered.
 */
export const PEER_REQUEST_BURST = 4;
export const PEER_REQUEST_REFILL_MS = 1000;

interface PendingQuery {
  resolve: (entries: PeerEntry[]) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export class PeerQueries {
  private readonly pending = new Map<number, PendingQuery>();
  private nextId = 1;
  private tokens = PEER_REQUEST_BURST;
  private refilled = Date.now();
  /** Requests over the rate waiting for a token, oldest first. */
  private held: Array<() => void> = [];
  private heldTimer: NodeJS.Timeout | null = null;

  constructor(private readonly timeoutMs: number) {}

  /** A request of ours: `write` sends it with its id; resolves with the answer's entries. */
  request(write: (requestId: number) => void): Promise<PeerEntry[]> {
    const requestId = this.nextId++;
    const ms = this.timeoutMs;
    return new Promise<PeerEntry[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        reject(new PeerchatError('ERR_QUERY_TIMEOUT', `no peers answer within ${ms} ms`));
      }, ms);
      this.pending.set(requestId, { resolve, reject, timer });
      write(requestId);
    });
  }

  /** An answer arrived; false when nothing asked for it. */
  answered(answer: m.PeersAnswer): boolean {
    const query = this.pending.get(answer.requestId);
    if (!query) return false;
    this.pending.delete(answer.requestId);
    clearTimeout(query.timer);
    query.resolve(
      answer.entries.map((e) => ({
        address: e.address,
        key: e.key ? e.key.toString('hex') : null,
        name: e.name,
      })),
    );
    return true;
  }

  /** Requests of the remote waiting for a token. */
  get waiting(): number {
    return this.held.length;
  }

  /** A request of the remote: `answer` runs now, after a wait for a token, or never (a flood). */
  admitRequest(answer: () => void): void {
    if (this.held.length === 0 && this.take()) return answer();
    if (this.held.length >= PEER_REQUEST_BURST) return; // over the rate and the wait: dropped
    this.held.push(answer);
    this.scheduleHeld();
  }

  private take(): boolean {
    const now = Date.now();
    const refill = Math.floor((now - this.refilled) / PEER_REQUEST_REFILL_MS);
    if (refill > 0) {
      this.tokens = Math.min(PEER_REQUEST_BURST, this.tokens + refill);
      this.refilled += refill * PEER_REQUEST_REFILL_MS;
    }
    if (this.tokens === 0) return false;
    this.tokens--;
    return true;
  }

  private scheduleHeld(): void {
    if (this.heldTimer) return;
    const wait = Math.max(1, this.refilled + PEER_REQUEST_REFILL_MS - Date.now());
    this.heldTimer = setTimeout(() => {
      this.heldTimer = null;
      while (this.held.length > 0 && this.take()) this.held.shift()?.();
      if (this.held.length > 0) this.scheduleHeld();
    }, wait);
    this.heldTimer.unref();
  }

  close(err: Error): void {
    if (this.heldTimer) clearTimeout(this.heldTimer);
    this.heldTimer = null;
    this.held = [];
    for (const query of this.pending.values()) {
      clearTimeout(query.timer);
      query.reject(err);
    }
    this.pending.clear();
  }
}

export function toWireEntries(entries: PeerEntry[]): m.WireEntry[] {
  const out: m.WireEntry[] = [];
  for (const e of entries) {
    if (out.length >= m.MAX_PEER_ENTRIES) break;
    if (Buffer.byteLength(e.address) > m.MAX_ADDRESS_BYTES) continue;
    const key = e.key && /^[0-9a-f]{64}$/i.test(e.key) ? Buffer.from(e.key, 'hex') : null;
    const name = e.name !== null && Buffer.byteLength(e.name) <= m.MAX_NAME_BYTES ? e.name : null;
    out.push({ address: e.address, key, name });
  }
  return out;
}
