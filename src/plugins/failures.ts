/**
 * Which plugin failures count, and against whom: a failure on local input counts toward disabling
 * the plugin; a failure on one remote peer's input counts for that peer only, and past the limit the
 * plugin skips that peer's input for the failure window (docs/plugins.md).
 */
import { PeerchatError } from '../errors.js';

/** Remote peers tracked per plugin for failures; the oldest are forgotten first. */
const MAX_TRACKED_SOURCES = 1024;

/** A plugin's failure record. */
export interface FailureRecord {
  name: string;
  disabled: boolean;
  /** Failures of hooks whose input is local (start, stop, sent, outgoing, commands). */
  failures: number[];
  /** Failures caused by one remote peer's input, by peer; past the limit that peer is muted. */
  remoteFailures: Map<string, number[]>;
  /** Remote peers whose input this plugin skips until the time given. */
  muted: Map<string, number>;
}

export function newRecord(name: string): FailureRecord {
  return { name, disabled: false, failures: [], remoteFailures: new Map(), muted: new Map() };
}

/** A keyless peer is its IP: a classic sender can claim any port, and each would count apart. */
function hostOf(address: string): string {
  const colon = address.lastIndexOf(':');
  return colon > 0 ? address.slice(0, colon) : address;
}

/** The remote peer whose input a hook gets (key, else IP), or null for local input. */
export function remoteSource(hook: string, args: readonly unknown[]): string | null {
  const first = args[0] as
    | { direction?: string; key?: string | null; from?: string; address?: string }
    | undefined;
  if (!first || typeof first !== 'object') return null;
  if (hook === 'onMessage' || hook === 'transformIncoming')
    return first.direction !== 'in' ? null : (first.key ?? (first.from ? hostOf(first.from) : null));
  if (hook === 'onPeerConnected' || hook === 'onPeerDisconnected' || hook === 'onPeerDiscovered')
    return first.key ?? (first.address ? hostOf(first.address) : null);
  return null;
}

export interface FailurePolicyOptions {
  maxFailures: number;
  windowMs: number;
  warn(error: PeerchatError): void;
  /** The plugin was just disabled (after its warning). */
  onDisable(p: FailureRecord): void;
}

export class FailurePolicy {
  constructor(private readonly o: FailurePolicyOptions) {}

  isMuted(p: FailureRecord, source: string | null): boolean {
    if (source === null) return false;
    const until = p.muted.get(source);
    if (until === undefined) return false;
    if (Date.now() < until) return true;
    p.muted.delete(source);
    return false;
  }

  /** Warn, count, and disable the plugin or mute the peer past the limit. */
  fail(p: FailureRecord, error: PeerchatError, source: string | null = null): void {
    if (source !== null) return this.#failRemote(p, error, source);
    this.o.warn(error);
    if (p.disabled) return;
    const now = Date.now();
    p.failures = p.failures.filter((t) => now - t < this.o.windowMs);
    p.failures.push(now);
    if (p.failures.length >= this.o.maxFailures) this.#disable(p, error);
  }

  #failRemote(p: FailureRecord, error: PeerchatError, source: string): void {
    if (p.disabled || this.isMuted(p, source)) return; // late outcomes of a muted peer stay quiet
    this.o.warn(error);
    const { windowMs, maxFailures } = this.o;
    const now = Date.now();
    const recent = (p.remoteFailures.get(source) ?? []).filter((t) => now - t < windowMs);
    recent.push(now);
    p.remoteFailures.delete(source); // re-inserted last: the map stays in order of last failure
    if (recent.length < maxFailures) {
      p.remoteFailures.set(source, recent);
      if (p.remoteFailures.size > MAX_TRACKED_SOURCES)
        p.remoteFailures.delete(p.remoteFailures.keys().next().value as string);
      return;
    }
    p.muted.set(source, now + windowMs);
    if (p.muted.size > MAX_TRACKED_SOURCES) p.muted.delete(p.muted.keys().next().value as string);
    this.o.warn(
      new PeerchatError(
        'ERR_PLUGIN_PEER_MUTED',
        `plugin "${p.name}" failed ${recent.length} times within ${windowMs} ms on input from ${source}; it ignores that peer for ${windowMs} ms and keeps running for everyone else (last: ${error.message})`,
        { cause: error },
      ),
    );
  }

  #disable(p: FailureRecord, last: PeerchatError): void {
    p.disabled = true;
    this.o.onDisable(p);
    this.o.warn(
      new PeerchatError(
        'ERR_PLUGIN_DISABLED',
        `plugin "${p.name}" was disabled after ${p.failures.length} failures within ${this.o.windowMs} ms (last: ${last.message})`,
        { cause: last },
      ),
    );
  }
}
