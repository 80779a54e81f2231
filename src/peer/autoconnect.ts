/**
 * Keeps configured peers connected: connects to each on start (concurrently, without blocking),
 * retries with capped exponential backoff and jitter, and reconnects a peer that leaves.
 */
import { EventEmitter } from 'node:events';
import { DEFAULT_READY_TIMEOUT_MS } from '../defaults.js';
import { PeerchatError } from '../errors.js';
import type { PeerInfo } from '../types.js';
import type { PeerApi } from './api.js';

/** What auto-connect needs of a Peer. */
export type AutoConnectPeer = Pick<PeerApi, 'connect' | 'on' | 'off'> & {
  readonly closed: boolean;
  awaitFirstRound(round: Promise<Promise<unknown>>): void;
};

export const BACKOFF_BASE_MS = 250;
export const BACKOFF_CAP_MS = 30_000;

export interface AutoConnectEntry {
  address: string;
  key?: string;
  name?: string;
}

export interface AutoConnectEvents {
  /** Progress for people: attempt n failed, next try in ms. */
  retry: [entry: AutoConnectEntry, attempt: number, delayMs: number, err: unknown];
  connected: [entry: AutoConnectEntry, info: PeerInfo];
}

/** Failed attempts at one peer that are each reported; after them it is retried without a word. */
export const REPORTED_RETRIES = 3;

/** What to tell people about failed attempt n: each of the first few, then once that it goes on quietly. */
export function retryNotice(attempt: number): 'report' | 'last' | 'quiet' {
  return attempt < REPORTED_RETRIES ? 'report' : attempt === REPORTED_RETRIES ? 'last' : 'quiet';
}

/** Full-jitter backoff: uniformly random in [delay/2, delay], delay doubling up to the cap. */
export function backoff(attempt: number, base = BACKOFF_BASE_MS, cap = BACKOFF_CAP_MS): number {
  const delay = Math.min(cap, base * 2 ** Math.min(attempt, 20));
  return Math.round(delay / 2 + Math.random() * (delay / 2));
}

/** Wait for the first round (what peer.ready() does), at most `timeout` ms; a failed round counts as over. */
export async function awaitRound(round: Promise<unknown>, opts: { timeout?: number } = {}): Promise<void> {
  const timeout = opts.timeout ?? DEFAULT_READY_TIMEOUT_MS;
  if (!Number.isFinite(timeout) || timeout < 0) {
    throw new PeerchatError(
      'ERR_USAGE',
      'ready({ timeout }): timeout is a number of milliseconds, 0 or more',
    );
  }
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeout);
  });
  try {
    await Promise.race([round.catch(() => {}), late]);
  } finally {
    clearTimeout(timer);
  }
}

export class AutoConnect extends EventEmitter<AutoConnectEvents> {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly attempts = new Map<string, number>();
  private stopped = false;
  private readonly onDisconnect = (info: PeerInfo) => {
    const entry = this.entries.find((e) => e.address === info.address);
    if (entry && !this.stopped) this.schedule(entry, 0);
  };

  private startRound: (round: Promise<unknown>) => void = () => {};

  constructor(
    private readonly peer: AutoConnectPeer,
    private readonly entries: AutoConnectEntry[],
    private readonly opts: { baseMs?: number; capMs?: number } = {},
  ) {
    super();
    // peer.ready() waits for the first round from now on, even if asked before start()
    if (entries.length > 0) peer.awaitFirstRound(new Promise((resolve) => (this.startRound = resolve)));
  }

  start(): void {
    this.peer.on('peer-disconnected', this.onDisconnect);
    // the first round: every entry connected or failed its first attempt
    this.startRound(Promise.all(this.entries.map((e) => this.attempt(e))));
  }

  stop(): void {
    this.stopped = true;
    this.peer.off('peer-disconnected', this.onDisconnect);
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  private schedule(entry: AutoConnectEntry, delay: number): void {
    if (this.stopped || this.timers.has(entry.address)) return;
    const timer = setTimeout(() => {
      this.timers.delete(entry.address);
      void this.attempt(entry);
    }, delay);
    timer.unref();
    this.timers.set(entry.address, timer);
  }

  private async attempt(entry: AutoConnectEntry): Promise<void> {
    if (this.stopped || this.peer.closed) return;
    try {
      const info = await this.peer.connect(entry.address, entry.key ? { key: entry.key } : {});
      this.attempts.set(entry.address, 0);
      this.emit('connected', entry, info);
    } catch (err) {
      if (this.stopped || this.peer.closed) return;
      const n = (this.attempts.get(entry.address) ?? 0) + 1;
      this.attempts.set(entry.address, n);
      const delay = backoff(n - 1, this.opts.baseMs, this.opts.capMs);
      this.emit('retry', entry, n, delay, err);
      this.schedule(entry, delay);
    }
  }
}
