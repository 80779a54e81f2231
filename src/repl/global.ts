/**
 * The `peer` global of the REPL, --eval, stdin scripts and `peerchat run`: a public contract.
 * A thin, validated facade over PeerApi: every I/O method returns a promise of data.
 */
import { inspect } from 'node:util';
import { PeerchatError } from '../errors.js';
import type { ConnectOptions, PeerApi, PeerEventName, PeerEvents, SendOptions } from '../peer/api.js';
import type { ChatMessage, PeerInfo, SendResult } from '../types.js';

// a Record, so the type checker flags an event added to PeerEvents but missing here
const EVENT_NAMES: Record<PeerEventName, true> = {
  listening: true,
  message: true,
  sent: true,
  'peer-connected': true,
  'peer-disconnected': true,
  'peer-discovered': true,
  'message-failed': true,
  warning: true,
  close: true,
};

/** Every event name `peer.on` accepts (the PeerEvents keys). */
export const PEER_EVENTS = Object.keys(EVENT_NAMES) as readonly PeerEventName[];

// biome-ignore lint/suspicious/noExplicitAny: plugin helpers take any arguments
export type Helper = (...args: any[]) => unknown;

export interface PeerGlobalContext {
  /** Enter chat mode with a target (REPL: prompt changes; script: following lines are sent). */
  chat(target: string): Promise<void> | void;
  /** Send EXIT to all and end the process (the host decides how). */
  quit(code?: number): Promise<void>;
  /** Plugin helpers, e.g. `{ block }` becomes `peer.block(...)`. Core members are never replaced. */
  helpers?: Record<string, Helper>;
  /** More members (getters kept), e.g. history/outbox/join/leave/rooms from later issues. */
  extra?: object;
  /** Where `peer.pending()` takes messages from. @default peer.takePending() */
  takePending?(): ChatMessage[];
  /** A listener added with `peer.on` threw or rejected: report it instead of crashing the emitter. */
  onListenerError?(err: unknown, event: PeerEventName): void;
}

type Listener<E extends PeerEventName> = (...args: PeerEvents[E]) => unknown;

export interface PeerGlobal {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** "ip:port" */
  readonly address: string;
  /** Hex public key, or null for a classic-only peer. */
  readonly id: string | null;
  readonly fingerprint: string | null;
  send(target: string, text: string, opts?: SendOptions): Promise<SendResult>;
  broadcast(text: string): Promise<SendResult[]>;
  connect(address: string, opts?: ConnectOptions): Promise<PeerInfo>;
  connectAll(): Promise<PeerInfo[]>;
  query(target: string): Promise<string[]>;
  active(): PeerInfo[];
  connected(): PeerInfo[];
  pending(): ChatMessage[];
  chat(target: string): Promise<void> | void;
  on<E extends PeerEventName>(event: E, fn: Listener<E>): PeerGlobal;
  once<E extends PeerEventName>(event: E, fn: Listener<E>): PeerGlobal;
  off<E extends PeerEventName>(event: E, fn: Listener<E>): PeerGlobal;
  /** Accept a changed key for an address deliberately (after ERR_KEY_MISMATCH). */
  trust(address: string, key: string): void;
  quit(code?: number): Promise<void>;
}

/** Names of the contract's members; helpers and extras may not shadow them. */
export const CORE_MEMBERS: readonly string[] = [
  'name',
  'host',
  'port',
  'address',
  'id',
  'fingerprint',
  'send',
  'broadcast',
  'connect',
  'connectAll',
  'query',
  'active',
  'connected',
  'pending',
  'chat',
  'on',
  'once',
  'off',
  'trust',
  'quit',
  'toJSON',
];

function usage(message: string): PeerchatError {
  return new PeerchatError('ERR_USAGE', message);
}

function requireString(value: unknown, what: string, call: string): asserts value is string {
  if (typeof value !== 'string' || value.trim() === '')
    throw usage(`${call}: ${what} must be a non-empty string`);
}

function requireEvent(event: unknown, call: string): asserts event is PeerEventName {
  if (typeof event !== 'string' || !PEER_EVENTS.includes(event as PeerEventName)) {
    throw usage(`${call}: unknown event ${inspect(event)}; events are ${PEER_EVENTS.join(', ')}`);
  }
}

function requireFunction(fn: unknown, call: string): asserts fn is (...args: unknown[]) => unknown {
  if (typeof fn !== 'function') throw usage(`${call}: the listener must be a function`);
}

export function createPeerGlobal(peer: PeerApi, ctx: PeerGlobalContext): PeerGlobal {
  // the wrapped listener per (event, fn), so `off` finds what `on` registered
  const wrapped = new Map<string, Map<unknown, (...args: unknown[]) => void>>();

  function wrap(event: PeerEventName, fn: (...args: unknown[]) => unknown, once: boolean) {
    const report = (err: unknown) => {
      if (ctx.onListenerError) ctx.onListenerError(err, event);
      else process.emitWarning(`peer.on('${event}') listener failed: ${String(err)}`);
    };
    const w = (...args: unknown[]) => {
      if (once) wrapped.get(event)?.delete(fn);
      try {
        const r = fn(...args);
        if (r && typeof (r as Promise<unknown>).then === 'function')
          (r as Promise<unknown>).then(undefined, report);
      } catch (err) {
        report(err);
      }
    };
    const perEvent = wrapped.get(event) ?? new Map<unknown, (...args: unknown[]) => void>();
    wrapped.set(event, perEvent);
    perEvent.set(fn, w);
    return w as never;
  }

  const g: PeerGlobal = {
    get name() {
      return peer.name;
    },
    get host() {
      return peer.host;
    },
    get port() {
      return peer.port;
    },
    get address() {
      return peer.address;
    },
    get id() {
      return peer.id;
    },
    get fingerprint() {
      return peer.fingerprint;
    },
    async send(target, text, opts) {
      requireString(target, 'target ("ip:port" or a peer name)', 'peer.send(target, text)');
      if (typeof text !== 'string') throw usage('peer.send(target, text): text must be a string');
      return peer.send(target, text, opts);
    },
    async broadcast(text) {
      if (typeof text !== 'string') throw usage('peer.broadcast(text): text must be a string');
      return peer.broadcast(text);
    },
    async connect(address, opts) {
      requireString(address, 'address ("ip:port")', 'peer.connect(address)');
      return peer.connect(address, opts);
    },
    async connectAll() {
      return peer.connectAll();
    },
    async query(target) {
      requireString(target, 'target ("ip:port" or a peer name)', 'peer.query(target)');
      return peer.query(target);
    },
    active() {
      return peer.activePeers();
    },
    connected() {
      return peer.connectedPeers();
    },
    pending() {
      return ctx.takePending ? ctx.takePending() : peer.takePending();
    },
    chat(target) {
      requireString(target, 'target ("ip:port" or a peer name)', 'peer.chat(target)');
      return ctx.chat(target);
    },
    on(event, fn) {
      requireEvent(event, 'peer.on(event, fn)');
      requireFunction(fn, 'peer.on(event, fn)');
      peer.on(event, wrap(event, fn as (...args: unknown[]) => unknown, false));
      return g;
    },
    once(event, fn) {
      requireEvent(event, 'peer.once(event, fn)');
      requireFunction(fn, 'peer.once(event, fn)');
      peer.once(event, wrap(event, fn as (...args: unknown[]) => unknown, true));
      return g;
    },
    off(event, fn) {
      requireEvent(event, 'peer.off(event, fn)');
      const w = wrapped.get(event)?.get(fn);
      if (w) {
        wrapped.get(event)?.delete(fn);
        peer.off(event, w as never);
      }
      return g;
    },
    trust(address, key) {
      requireString(address, 'address ("ip:port")', 'peer.trust(address, key)');
      requireString(key, 'key (hex public key)', 'peer.trust(address, key)');
      peer.trust(address, key);
    },
    async quit(code = 0) {
      if (!Number.isInteger(code) || code < 0 || code > 255)
        throw usage('peer.quit(code): code must be 0-255');
      return ctx.quit(code);
    },
  };

  Object.defineProperties(g, {
    toJSON: {
      value: () => ({ name: g.name, host: g.host, port: g.port, address: g.address, id: g.id }),
    },
    [inspect.custom]: {
      value: () => summary(peer),
    },
  });

  for (const [key, fn] of Object.entries(ctx.helpers ?? {})) {
    if (CORE_MEMBERS.includes(key) || typeof fn !== 'function') continue;
    Object.defineProperty(g, key, { value: fn, enumerable: true, configurable: true, writable: false });
  }
  for (const [key, desc] of Object.entries(Object.getOwnPropertyDescriptors(ctx.extra ?? {}))) {
    if (CORE_MEMBERS.includes(key)) continue;
    Object.defineProperty(g, key, { ...desc, configurable: true });
  }
  return g;
}

/** What typing `peer` shows: who we are and how many peers, not the facade's internals. */
function summary(peer: PeerApi): string {
  const connected = peer.connectedPeers().length;
  const known = peer.activePeers().length;
  const id = peer.fingerprint ? ` ${peer.fingerprint}` : ' (classic only)';
  return `<peer ${peer.name} ${peer.address}${id}, ${connected} connected, ${known} known; .help lists commands>`;
}
