/**
 * Redial of peers the outbox holds messages for: dial the key's last known address with the
 * auto-connect policy (capped exponential backoff with jitter) until a session with that key is up
 * (the outbox flushes it then) or nothing waits for it any more.
 */
import { BACKOFF_BASE_MS, BACKOFF_CAP_MS, backoff } from './autoconnect.js';

export interface RedialHooks {
  /** Dial an address expecting this key (any other key is refused). */
  dial(address: string, key: string): Promise<unknown>;
  /** Where the key was last met: its table entry, else the store's peers seen. Null if never. */
  addressOf(key: string): string | null;
  /** Whether outgoing messages to this key are still awaiting delivery. */
  waiting(key: string): boolean;
  /** Whether a session with this key is up. */
  connected(key: string): boolean;
  /** True once the peer is shutting down. */
  closing(): boolean;
}

export interface RedialOptions {
  /** @default BACKOFF_BASE_MS */
  baseMs?: number;
  /** @default BACKOFF_CAP_MS */
  capMs?: number;
}

export class Redial {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly attempts = new Map<string, number>();
  private readonly dialing = new Set<string>();
  private stopped = false;

  constructor(
    private readonly hooks: RedialHooks,
    private readonly opts: RedialOptions = {},
  ) {}

  /** Messages wait for this key: dial it (now, unless a dial or a timer is already on). */
  want(key: string): void {
    this.schedule(key, 0);
  }

  /** Dial now, whatever the backoff said (`.retry`). */
  now(key: string): void {
    this.attempts.delete(key);
    this.cancelTimer(key);
    void this.attempt(key);
  }

  /** A session with this key is up: the backoff starts again from the beginning next time. */
  connected(key: string): void {
    this.cancelTimer(key);
    this.attempts.delete(key);
  }

  /** Keys with a redial timer pending (for tests and `.outbox`). */
  pending(): string[] {
    return [...this.timers.keys()];
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  private cancelTimer(key: string): void {
    const t = this.timers.get(key);
    if (t) clearTimeout(t);
    this.timers.delete(key);
  }

  private schedule(key: string, delay: number): void {
    if (this.stopped || this.timers.has(key) || this.dialing.has(key)) return;
    const timer = setTimeout(() => {
      this.timers.delete(key);
      void this.attempt(key);
    }, delay);
    timer.unref();
    this.timers.set(key, timer);
  }

  private async attempt(key: string): Promise<void> {
    const { hooks } = this;
    if (this.stopped || hooks.closing() || this.dialing.has(key)) return;
    if (hooks.connected(key) || !hooks.waiting(key)) {
      this.attempts.delete(key);
      return;
    }
    const address = hooks.addressOf(key);
    if (!address) return; // never met at an address: a room connection or an inbound session brings it
    this.dialing.add(key);
    try {
      await hooks.dial(address, key);
      this.attempts.delete(key);
    } catch {
      // failures are expected while the peer is away: the message stays queued, no warning each time
      const n = (this.attempts.get(key) ?? 0) + 1;
      this.attempts.set(key, n);
      this.dialing.delete(key);
      this.schedule(
        key,
        backoff(n - 1, this.opts.baseMs ?? BACKOFF_BASE_MS, this.opts.capMs ?? BACKOFF_CAP_MS),
      );
    } finally {
      this.dialing.delete(key);
    }
  }
}
