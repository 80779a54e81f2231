/**
 * The plugin contract: hook kinds, the api a plugin gets, and the plugin object itself.
 * A public contract (docs/plugins.md): change it only on purpose.
 */
import type { HistoryOptions, SayResult, SendOptions } from '../peer/api.js';
import type { ChatMessage, DisconnectReason, PeerInfo, SendResult } from '../types.js';

type MaybePromise<T> = T | Promise<T>;

/**
 * Observe hooks run in parallel for every plugin; their results are ignored.
 * The peer never waits for them beyond the hook timeout.
 */
export interface ObserveHooks {
  /** After every plugin is loaded, before the peer serves anyone. */
  onStart(): MaybePromise<void>;
  /** When the peer shuts down; awaited up to the hook timeout. */
  onStop(): MaybePromise<void>;
  /** An incoming chat message, after every transform (dropped messages never arrive here). */
  onMessage(msg: ChatMessage): MaybePromise<void>;
  /** An outgoing chat message, once it was handed to a session. */
  onSent(msg: ChatMessage, result: SendResult): MaybePromise<void>;
  /**
   * An outgoing message whose send() did not wait for the ack (queued for an away peer, resent,
   * retried) was acknowledged by its peer (the `message-delivered` event).
   */
  onDelivered(msg: ChatMessage): MaybePromise<void>;
  onPeerConnected(peer: PeerInfo): MaybePromise<void>;
  onPeerDisconnected(peer: PeerInfo, reason: DisconnectReason): MaybePromise<void>;
  onPeerDiscovered(peer: PeerInfo): MaybePromise<void>;
}

/**
 * Transform hooks run one plugin after another (pre, normal, post; load order within a group).
 * Each gets the previous plugin's result. Return the message (changed or not), or null to drop it.
 */
export interface TransformHooks {
  transformIncoming(msg: ChatMessage): MaybePromise<ChatMessage | null>;
  transformOutgoing(msg: ChatMessage): MaybePromise<ChatMessage | null>;
}

export type ObserveHookName = keyof ObserveHooks;
export type TransformHookName = keyof TransformHooks;
export type HookName = ObserveHookName | TransformHookName;
export type HookKind = 'observe' | 'transform';
/** The kind of each hook, as a type: `HookKindOf<'onMessage'>` is `'observe'`. */
export type HookKindOf<N extends HookName> = N extends ObserveHookName ? 'observe' : 'transform';

/** What `setup` may return: any subset of the hooks. */
export type PluginHooks = Partial<ObserveHooks & TransformHooks>;

/** Where a plugin runs relative to the others; stable (load order) within a group. @default 'normal' */
export type PluginOrder = 'pre' | 'normal' | 'post';

/** A REPL dot-command. `.help` lists `help`; a string returned by `action` is printed. */
export interface PluginCommand {
  help: string;
  action(args: string): unknown;
}

// biome-ignore lint/suspicious/noExplicitAny: helpers are called by people in the REPL with any arguments
export type PluginHelper = (...args: any[]) => unknown;

export interface PluginLogger {
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

export type LogLevel = keyof PluginLogger;

/**
 * A history query: the same type as the `peer` global's and the store's (`HistoryOptions`):
 * `{ peer?, limit?, before?, since?, search? }`, every filter applied in SQL before the limit.
 */
export type HistoryQuery = HistoryOptions;

export type HistoryReader = (target?: string, query?: HistoryQuery) => MaybePromise<ChatMessage[]>;

/** What a plugin's `setup` receives. */
export interface PluginApi<O = unknown> {
  /** The plugin's own name. */
  readonly plugin: string;
  /** The local peer's name. */
  readonly name: string;
  /** The local peer's hex public key, or null (classic only). */
  readonly id: string | null;
  /** The local peer's "ip:port". */
  readonly address: string;
  /** The plugin's own options, exactly as configured. */
  readonly options: O;
  /** Directory of the config file that named the plugin (cwd for --plugin); resolve relative paths here. */
  readonly baseDir: string;
  /**
   * The plugin's own state directory, `<dataDir>/plugins/<name>`, created on first access.
   * Without a data directory it is a temporary directory removed on stop.
   */
  readonly stateDir: string;
  /** Logs with the plugin's name as prefix. */
  readonly log: PluginLogger;
  /** Helpers added by every plugin (live view), e.g. `api.helpers.botCommand`. */
  readonly helpers: Readonly<Record<string, PluginHelper>>;

  /** Send `text` to "ip:port" or a peer name. Goes through transformOutgoing. */
  send(target: string, text: string, opts?: SendOptions): Promise<SendResult>;
  /** Send `text` back to the sender of `msg`; a room message (`msg.room`) is answered in its room. */
  reply(msg: ChatMessage, text: string, opts?: SendOptions): Promise<SendResult>;
  /** Say `text` in a joined group room (its shared history). */
  say(room: string, text: string): Promise<SayResult>;
  /** Send `text` to every connected peer. */
  broadcast(text: string): Promise<SendResult[]>;
  /** Discovered peers. */
  peers(): PeerInfo[];
  /** Peers with an open session. */
  connectedPeers(): PeerInfo[];
  /** Read the message history; absent when the peer keeps no history. */
  history?: HistoryReader;

  /** Add a REPL dot-command (name without the dot). Only during setup; a clash fails the load. */
  addCommand(name: string, command: PluginCommand): void;
  /** Add a helper to the REPL's `peer` global and to `api.helpers`. Only during setup. */
  addHelper(name: string, fn: PluginHelper): void;
}

// biome-ignore lint/suspicious/noConfusingVoidType: setup may return nothing at all
export type SetupResult = PluginHooks | undefined | void;

/** One problem a schema found (Standard Schema v1). */
export interface OptionsIssue {
  readonly message: string;
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }>;
}

/** What a schema's validate returns (Standard Schema v1). */
export type OptionsResult<O> =
  | { readonly value: O; readonly issues?: undefined }
  | { readonly issues: ReadonlyArray<OptionsIssue> };

/**
 * A schema for a plugin's options: a zod schema (`import { z } from 'peerchat'`), or any other
 * validator that implements Standard Schema v1 (https://standardschema.dev).
 */
export interface OptionsSchema<O = unknown> {
  readonly '~standard': {
    readonly version: 1;
    readonly vendor: string;
    validate(value: unknown): OptionsResult<O> | Promise<OptionsResult<O>>;
  };
}

/** A plugin, as returned by `definePlugin`. */
export interface Plugin<O = unknown> {
  /** Unique among loaded plugins; names the state directory and prefixes logs and errors. */
  name: string;
  version?: string;
  /** @default 'normal' */
  order?: PluginOrder;
  /**
   * Validates the configured options at load, before setup: a mistake (an unknown key, a wrong
   * type) fails the load with an error naming the config file, the plugin and the key. `setup`
   * and `api.options` get the parsed value (defaults applied). Options not configured are
   * `undefined`: give the schema a default (`.default({})`) to get an object.
   */
  options?: OptionsSchema<O>;
  /** Called once at load. Returns the plugin's hooks (or nothing). A throw or rejection fails the load. */
  setup(api: PluginApi<O>, options: O): SetupResult | Promise<SetupResult>;
}

/** A module's default export may also be a function of the options that returns a plugin. */
export type PluginFactory<O = unknown> = (options: O) => Plugin<O> | Promise<Plugin<O>>;

/** What a plugin module's default export may be. */
export type PluginModuleExport<O = unknown> = Plugin<O> | PluginFactory<O>;

/** The options type of a plugin: `PluginOptions<typeof myPlugin>`. */
export type PluginOptions<P> = P extends Plugin<infer O> ? O : P extends PluginFactory<infer O> ? O : never;
