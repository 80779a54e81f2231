/**
 * The `peer` global of the REPL, --eval, stdin scripts and `peerchat run`: a public contract.
 * A thin, validated facade over PeerApi: every I/O method returns a promise of data.
 */
import { inspect } from 'node:util';
import { PeerchatError } from '../errors.js';
import type { PeerApi, PeerEventName, PeerEvents } from '../peer/api.js';
import { defineLive, PEER_PROPERTIES, type PeerProperty } from '../peer/members.js';
import type { ChatMessage } from '../types.js';

// a Record, so the type checker flags an event added to PeerEvents but missing here
const EVENT_NAMES: Record<PeerEventName, true> = {
  listening: true,
  message: true,
  sent: true,
  'peer-connected': true,
  'peer-disconnected': true,
  'peer-discovered': true,
  'message-failed': true,
  'message-delivered': true,
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
  /** Members that replace the peer's history/outbox/rooms ones (getters kept); core members are never replaced. */
  extra?: object;
  /** Where `peer.pending()` takes messages from. @default peer.takePending() */
  takePending?(): ChatMessage[];
  /** A listener added with `peer.on` threw or rejected: report it instead of crashing the emitter. */
  onListenerError?(err: unknown, event: PeerEventName): void;
}

type Listener<E extends PeerEventName> = (...args: PeerEvents[E]) => unknown;

/** PeerApi members the global shows under the REPL's short names. */
type Renamed = { activePeers: 'active'; connectedPeers: 'connected'; takePending: 'pending' };
/** PeerApi members the global leaves out: chat mode and shutdown are the host's (see `chat`, `quit`). */
type Hidden = 'setChatTarget' | 'resolve' | 'exit' | 'on' | 'once' | 'off';

/** The `peer` global: PeerApi under the REPL's names, plus chat mode and quit. */
export type PeerGlobal = {
  readonly [K in keyof PeerApi as K extends Hidden
    ? never
    : K extends keyof Renamed
      ? Renamed[K]
      : K]: PeerApi[K];
} & {
  /** Enter chat mode with a target (REPL: prompt changes; script: following lines are sent). */
  chat(target: string): Promise<void> | void;
  on<E extends PeerEventName>(event: E, fn: Listener<E>): PeerGlobal;
  once<E extends PeerEventName>(event: E, fn: Listener<E>): PeerGlobal;
  off<E extends PeerEventName>(event: E, fn: Listener<E>): PeerGlobal;
  /** Send EXIT to all and end the process (the host decides how). */
  quit(code?: number): Promise<void>;
};

/**
 * Every member of the global: "core" ones cannot be replaced by helpers or extras; "store" ones
 * (history, outbox, rooms) come from the peer and a host may supply its own through `extra`.
 */
const MEMBERS = {
  name: 'core',
  host: 'core',
  port: 'core',
  address: 'core',
  id: 'core',
  fingerprint: 'core',
  send: 'core',
  broadcast: 'core',
  connect: 'core',
  connectAll: 'core',
  query: 'core',
  active: 'core',
  connected: 'core',
  pending: 'core',
  chat: 'core',
  on: 'core',
  once: 'core',
  off: 'core',
  trust: 'core',
  contacts: 'core',
  ready: 'core',
  quit: 'core',
  toJSON: 'core',
  history: 'store',
  outbox: 'store',
  retry: 'store',
  drop: 'store',
  join: 'store',
  leave: 'store',
  rooms: 'store',
  say: 'store',
  members: 'store',
} as const satisfies Record<keyof PeerGlobal | 'toJSON', 'core' | 'store'>;

/** Names of the contract's members that helpers and extras may not shadow. */
export const CORE_MEMBERS: readonly string[] = Object.keys(MEMBERS).filter(
  (k) => MEMBERS[k as keyof typeof MEMBERS] === 'core',
);

/** Every member name of the global (core and store). */
export const GLOBAL_MEMBERS: readonly string[] = Object.keys(MEMBERS);

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

  const methods: Omit<PeerGlobal, PeerProperty> = {
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
    async ready(opts) {
      return peer.ready(opts);
    },
    contacts(target) {
      return peer.contacts(target);
    },
    history(target, opts) {
      return peer.history(target, opts);
    },
    outbox() {
      return peer.outbox();
    },
    async retry(id) {
      return peer.retry(id);
    },
    async drop(id) {
      return peer.drop(id);
    },
    // the room code checks names itself (ERR_INVALID_ROOM)
    async join(room, opts) {
      return peer.join(room, opts);
    },
    async leave(room, opts) {
      return peer.leave(room, opts);
    },
    rooms() {
      return peer.rooms();
    },
    async say(room, text) {
      requireString(room, 'room (a joined room name)', 'peer.say(room, text)');
      if (typeof text !== 'string') throw usage('peer.say(room, text): text must be a string');
      return peer.say(room, text);
    },
    members(room) {
      requireString(room, 'room (a joined room name)', 'peer.members(room)');
      return peer.members(room);
    },
    async quit(code = 0) {
      if (!Number.isInteger(code) || code < 0 || code > 255)
        throw usage('peer.quit(code): code must be 0-255');
      return ctx.quit(code);
    },
  };
  const g: PeerGlobal = Object.assign(defineLive({}, peer, PEER_PROPERTIES), methods);

  Object.defineProperties(g, {
    toJSON: {
      value: () => ({ name: g.name, host: g.host, port: g.port, address: g.address, id: g.id }),
    },
    [inspect.custom]: {
      value: () => summary(peer),
    },
  });

  for (const [key, fn] of Object.entries(ctx.helpers ?? {})) {
    if (GLOBAL_MEMBERS.includes(key) || typeof fn !== 'function') continue;
    Object.defineProperty(g, key, { value: fn, enumerable: true, configurable: true, writable: false });
  }
  for (const [key, desc] of Object.entries(Object.getOwnPropertyDescriptors(ctx.extra ?? {}))) {
    if (CORE_MEMBERS.includes(key)) continue; // a store member may be replaced
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
