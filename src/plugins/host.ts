/**
 * The plugin host: loads plugins, runs their hooks (ordered, isolated, with a timeout),
 * and disables a plugin that keeps failing. It knows the peer only through PeerApi.
 */
import { EventEmitter } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { format } from 'node:util';
import { PeerchatError, type Warning } from '../errors.js';
import type { PeerApi, SendOptions } from '../peer/api.js';
import type { Interceptors } from '../peer/options.js';
import { sanitize } from '../sanitize.js';
import type { ChatMessage } from '../types.js';
import { HOOK_KINDS, isHookName, suggestHook } from './hooks.js';
import { importPlugin } from './loader.js';
import { checkOptions } from './options.js';
import { runHook } from './runner.js';
import type {
  HistoryReader,
  LogLevel,
  ObserveHookName,
  ObserveHooks,
  Plugin,
  PluginApi,
  PluginCommand,
  PluginHelper,
  PluginHooks,
  PluginLogger,
  PluginOrder,
  TransformHookName,
} from './types.js';

const DEFAULT_HOOK_TIMEOUT_MS = 5000;
/** A plugin failing this many times within FAILURE_WINDOW_MS is disabled. */
const DEFAULT_MAX_FAILURES = 5;
const DEFAULT_FAILURE_WINDOW_MS = 60_000;
const ORDER_RANK: Record<PluginOrder, number> = { pre: 0, normal: 1, post: 2 };
const COMMAND_NAME = /^[a-z][a-z0-9_-]*$/i;
const HELPER_NAME = /^[A-Za-z_$][\w$]*$/;
/**
 * Members of PeerApi and of the REPL's `peer` global a helper may not shadow; a Record over
 * PeerApi's keys, so a member added to the contract cannot be forgotten here.
 */
// biome-ignore format: a list of names reads best packed
const RESERVED = {
  ...({
    name: true, host: true, port: true, address: true, id: true, fingerprint: true, send: true,
    broadcast: true, connect: true, connectAll: true, query: true, activePeers: true,
    connectedPeers: true, takePending: true, setChatTarget: true, resolve: true, trust: true, contacts: true, ready: true,
    history: true, outbox: true, retry: true, drop: true, join: true, leave: true, rooms: true,
    on: true, once: true, off: true, exit: true,
  } satisfies Record<keyof PeerApi, true>),
  // the EventEmitter underneath, and the global's own names
  emit: true, removeListener: true, addListener: true,
  active: true, connected: true, pending: true, chat: true, quit: true, help: true,
};
export const PEER_API_MEMBERS: readonly string[] = Object.keys(RESERVED);

export interface PluginHostOptions {
  /**
   * The peer, or a function returning it: the composition root builds the host first (the peer
   * takes its interceptors) and the peer right after, before any plugin is loaded.
   */
  peer: PeerApi | (() => PeerApi);
  /** Plugins get `<dataDir>/plugins/<name>`; null gives them a temporary directory. */
  dataDir: string | null;
  /** How long an async hook (or setup) is awaited. @default 5000 */
  hookTimeoutMs?: number;
  /** Failures within `failureWindowMs` that disable a plugin. @default 5 */
  maxFailures?: number;
  /** @default 60000 */
  failureWindowMs?: number;
  /** Where plugin logs go. @default warn and error to stderr */
  log?: (level: LogLevel, message: string) => void;
  /** Gives plugins `api.history`. */
  history?: HistoryReader;
  /** Built-in REPL command names (without the dot) plugins may not take. */
  reservedCommands?: readonly string[];
  /** Names plugins may not use for helpers. @default PEER_API_MEMBERS */
  reservedHelpers?: readonly string[];
}

/** A plugin named by config or `--plugin`. */
export interface PluginSpecEntry {
  spec: string;
  options?: unknown;
  /** Directory of the config file that named the plugin, or cwd for --plugin. */
  baseDir: string;
  /** The config file that named the plugin: load errors start with it. */
  source?: string;
}

/** A plugin given as a value (scripts, tests). */
export interface PluginValueEntry {
  // biome-ignore lint/suspicious/noExplicitAny: any plugin, whatever its options type
  plugin: Plugin<any> | ((options: any) => Plugin<any> | Promise<Plugin<any>>);
  options?: unknown;
  baseDir?: string;
  /** Shown in errors. @default the plugin's name */
  spec?: string;
  /** Where the plugin was named: load errors start with it. */
  source?: string;
}

export type PluginEntry = PluginSpecEntry | PluginValueEntry;

export interface LoadOptions {
  /** Added to the host's reserved command names. */
  reservedCommands?: readonly string[];
}

/** A dot-command as the REPL gets it: its action never throws (failures become warnings). */
export interface HostCommand {
  help: string;
  plugin: string;
  action(args: string): Promise<unknown>;
}

export interface PluginHostEvents {
  warning: [warning: Warning];
}

interface LoadedPlugin {
  name: string;
  spec: string;
  order: PluginOrder;
  index: number;
  hooks: PluginHooks;
  disabled: boolean;
  /** Failures of hooks whose input is local (start, stop, sent, outgoing, commands). */
  failures: number[];
  /** Failures caused by one remote peer's input, by peer; past the limit that peer is muted. */
  remoteFailures: Map<string, number[]>;
  /** Remote peers whose input this plugin skips until the time given. */
  muted: Map<string, number>;
}

/** Remote peers tracked per plugin for failures; the oldest are forgotten first. */
const MAX_TRACKED_SOURCES = 1024;

/** A keyless peer is its IP: a classic sender can claim any port, and each would count apart. */
function hostOf(address: string): string {
  const colon = address.lastIndexOf(':');
  return colon > 0 ? address.slice(0, colon) : address;
}

/** The remote peer whose input a hook gets (key, else IP), or null for local input. */
function remoteSource(hook: string, args: readonly unknown[]): string | null {
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

/** One plugin's commands and helpers, kept apart until its setup succeeded. */
interface Staged {
  open: boolean;
  commands: Map<string, PluginCommand>;
  helpers: Map<string, PluginHelper>;
  clash: PeerchatError | null;
}

export class PluginHost extends EventEmitter<PluginHostEvents> {
  readonly commands = new Map<string, HostCommand>();
  readonly helpers: Record<string, PluginHelper> = {};
  /** Pass to the Peer (`PeerOptions.interceptors`). */
  readonly interceptors: Interceptors = {
    incoming: (msg) => this.transform('transformIncoming', msg),
    outgoing: (msg) => this.transform('transformOutgoing', msg),
  };

  readonly #peerRef: () => PeerApi;
  readonly #dataDir: string | null;
  readonly #timeoutMs: number;
  readonly #maxFailures: number;
  readonly #windowMs: number;
  readonly #log: (level: LogLevel, message: string) => void;
  readonly #history: HistoryReader | undefined;
  readonly #reservedCommands: Set<string>;
  readonly #reservedHelpers: Set<string>;
  readonly #plugins: LoadedPlugin[] = [];
  readonly #commandOwners = new Map<string, string>();
  readonly #helperOwners = new Map<string, string>();
  #detach: (() => void) | null = null;
  #tempDir: string | null = null;
  #loaded = 0;
  #stopped = false;
  readonly #inflight = new Set<Promise<void>>();

  get #peer(): PeerApi {
    return this.#peerRef();
  }

  constructor(options: PluginHostOptions) {
    super();
    const peer = options.peer;
    this.#peerRef = typeof peer === 'function' ? peer : () => peer;
    this.#dataDir = options.dataDir;
    this.#timeoutMs = options.hookTimeoutMs ?? DEFAULT_HOOK_TIMEOUT_MS;
    this.#maxFailures = options.maxFailures ?? DEFAULT_MAX_FAILURES;
    this.#windowMs = options.failureWindowMs ?? DEFAULT_FAILURE_WINDOW_MS;
    this.#log = options.log ?? defaultLog;
    this.#history = options.history;
    this.#reservedCommands = new Set(options.reservedCommands ?? []);
    this.#reservedHelpers = new Set(options.reservedHelpers ?? PEER_API_MEMBERS);
  }

  /** Names of the loaded plugins, in run order, with their state. */
  get plugins(): Array<{ name: string; spec: string; order: PluginOrder; disabled: boolean }> {
    return this.#plugins.map(({ name, spec, order, disabled }) => ({ name, spec, order, disabled }));
  }

  /**
   * Load plugins one after another. Throws ERR_PLUGIN_LOAD (naming plugin, spec and cause),
   * ERR_PLUGIN_UNKNOWN_HOOK or ERR_PLUGIN_COMMAND_CLASH; plugins loaded before the failing one stay.
   */
  async load(entries: readonly PluginEntry[], options: LoadOptions = {}): Promise<void> {
    for (const name of options.reservedCommands ?? []) this.#reservedCommands.add(name);
    for (const entry of entries) await this.#loadOne(entry);
  }

  /** Subscribe the observe hooks to the peer's events. Idempotent; `stop()` undoes it. */
  attach(): void {
    if (this.#detach) return;
    const peer = this.#peer;
    const onMessage = (msg: ChatMessage) => void this.observe('onMessage', msg);
    const onSent: ObserveHooks['onSent'] = (msg, result) => void this.observe('onSent', msg, result);
    const onDelivered: ObserveHooks['onDelivered'] = (msg) => void this.observe('onDelivered', msg);
    const onConnected: ObserveHooks['onPeerConnected'] = (p) => void this.observe('onPeerConnected', p);
    const onDisconnected: ObserveHooks['onPeerDisconnected'] = (p, reason) =>
      void this.observe('onPeerDisconnected', p, reason);
    const onDiscovered: ObserveHooks['onPeerDiscovered'] = (p) => void this.observe('onPeerDiscovered', p);
    peer.on('message', onMessage);
    peer.on('sent', onSent);
    peer.on('message-delivered', onDelivered);
    peer.on('peer-connected', onConnected);
    peer.on('peer-disconnected', onDisconnected);
    peer.on('peer-discovered', onDiscovered);
    this.#detach = () => {
      peer.off('message', onMessage);
      peer.off('sent', onSent);
      peer.off('message-delivered', onDelivered);
      peer.off('peer-connected', onConnected);
      peer.off('peer-disconnected', onDisconnected);
      peer.off('peer-discovered', onDiscovered);
    };
  }

  /** Run every onStart hook (in parallel, each within the hook timeout). Never throws. */
  async start(): Promise<void> {
    await this.observe('onStart');
  }

  /** Run every onStop hook, detach from the peer, remove a temporary state directory. Once; never throws. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#detach?.();
    this.#detach = null;
    await this.idle();
    await this.observe('onStop');
    if (this.#tempDir) rmSync(this.#tempDir, { recursive: true, force: true });
    this.#tempDir = null;
  }

  /** Run an observe hook of every enabled plugin in parallel; resolves when all settled or timed out. */
  observe<N extends ObserveHookName>(hook: N, ...args: Parameters<ObserveHooks[N]>): Promise<void> {
    const source = remoteSource(hook, args);
    const runs = this.#active(hook, source).map((p) => {
      const fn = p.hooks[hook] as (...a: unknown[]) => unknown;
      // each plugin gets its own copies: one plugin cannot change what the next one sees
      const copies = args.map((a) => (typeof a === 'object' && a !== null ? { ...a } : a));
      return this.#run(p, `hook "${hook}"`, () => fn.apply(p.hooks, copies), undefined, source);
    });
    const all = Promise.all(runs).then(() => {
      this.#inflight.delete(all);
    });
    this.#inflight.add(all);
    return all;
  }

  /** Resolves once every observe hook started so far has settled or timed out (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.#inflight.size > 0) await Promise.all([...this.#inflight]);
  }

  /** Run a transform chain. A failing hook leaves the message as it was; null drops it. */
  async transform(hook: TransformHookName, msg: ChatMessage): Promise<ChatMessage | null> {
    let current = msg;
    const source = remoteSource(hook, [msg]);
    for (const p of this.#active(hook, source)) {
      const fn = p.hooks[hook]!;
      const input = { ...current };
      const outcome = await this.#run(
        p,
        `hook "${hook}"`,
        () => fn.call(p.hooks, input),
        'the message was left unchanged',
        source,
      );
      if (!outcome.ok) continue;
      const result: unknown = outcome.value;
      if (result === null) return null;
      if (!isMessageLike(result)) {
        const error = new PeerchatError(
          'ERR_PLUGIN_HOOK',
          `plugin "${p.name}" hook "${hook}" returned ${describe(result)} instead of a message or null; the message was left unchanged`,
        );
        this.#fail(p, error, source);
        continue;
      }
      // identity fields stay the peer's: a transform changes what is said, not who said it
      current = {
        ...current,
        text: result.text,
        name: typeof result.name === 'string' ? result.name : current.name,
      };
    }
    return current;
  }

  #active(hook: keyof PluginHooks, source: string | null = null): LoadedPlugin[] {
    return this.#plugins.filter(
      (p) => !p.disabled && typeof p.hooks[hook] === 'function' && !this.#isMuted(p, source),
    );
  }

  #isMuted(p: LoadedPlugin, source: string | null): boolean {
    if (source === null) return false;
    const until = p.muted.get(source);
    if (until === undefined) return false;
    if (Date.now() < until) return true;
    p.muted.delete(source);
    return false;
  }

  async #run<T>(
    p: LoadedPlugin,
    what: string,
    fn: () => T | Promise<T>,
    consequence?: string,
    source: string | null = null,
  ) {
    const outcome = await runHook(`plugin "${p.name}" ${what}`, this.#timeoutMs, fn);
    if (!outcome.ok) {
      if (consequence) outcome.error.message += `; ${consequence}`;
      this.#fail(p, outcome.error, source);
    }
    return outcome;
  }

  /**
   * A failure on local input counts toward disabling the plugin. A failure on one remote peer's
   * input counts for that peer only: past the limit the plugin skips that peer's input for the
   * failure window, and keeps serving everyone else (docs/plugins.md).
   */
  #fail(p: LoadedPlugin, error: PeerchatError, source: string | null = null): void {
    if (source !== null) return this.#failRemote(p, error, source);
    this.#warn(error);
    if (p.disabled) return;
    const now = Date.now();
    p.failures = p.failures.filter((t) => now - t < this.#windowMs);
    p.failures.push(now);
    if (p.failures.length >= this.#maxFailures) this.#disable(p, error);
  }

  #failRemote(p: LoadedPlugin, error: PeerchatError, source: string): void {
    if (p.disabled || this.#isMuted(p, source)) return; // late outcomes of a muted peer stay quiet
    this.#warn(error);
    const now = Date.now();
    const recent = (p.remoteFailures.get(source) ?? []).filter((t) => now - t < this.#windowMs);
    recent.push(now);
    p.remoteFailures.delete(source); // re-inserted last: the map stays in order of last failure
    if (recent.length < this.#maxFailures) {
      p.remoteFailures.set(source, recent);
      if (p.remoteFailures.size > MAX_TRACKED_SOURCES)
        p.remoteFailures.delete(p.remoteFailures.keys().next().value as string);
      return;
    }
    p.muted.set(source, now + this.#windowMs);
    if (p.muted.size > MAX_TRACKED_SOURCES) p.muted.delete(p.muted.keys().next().value as string);
    this.#warn(
      new PeerchatError(
        'ERR_PLUGIN_PEER_MUTED',
        `plugin "${p.name}" failed ${recent.length} times within ${this.#windowMs} ms on input from ${source}; it ignores that peer for ${this.#windowMs} ms and keeps running for everyone else (last: ${error.message})`,
        { cause: error },
      ),
    );
  }

  #disable(p: LoadedPlugin, last: PeerchatError): void {
    p.disabled = true;
    for (const [name, owner] of this.#commandOwners) if (owner === p.name) this.commands.delete(name);
    this.#warn(
      new PeerchatError(
        'ERR_PLUGIN_DISABLED',
        `plugin "${p.name}" was disabled after ${p.failures.length} failures within ${this.#windowMs} ms (last: ${last.message})`,
        { cause: last },
      ),
    );
  }

  #warn(error: PeerchatError): void {
    const warning: Warning = { code: error.code, message: error.message, cause: error.cause };
    if (this.listenerCount('warning') > 0) this.emit('warning', warning);
    else this.#log('warn', `${warning.code}: ${warning.message}`);
  }

  async #loadOne(entry: PluginEntry): Promise<void> {
    try {
      await this.#loadEntry(entry);
    } catch (err) {
      // a config mistake names the file to fix first
      if (entry.source && err instanceof PeerchatError) err.message = `${entry.source}: ${err.message}`;
      throw err;
    }
  }

  async #loadEntry(entry: PluginEntry): Promise<void> {
    const spec = 'plugin' in entry ? (entry.spec ?? nameOf(entry.plugin)) : entry.spec;
    const baseDir = entry.baseDir ?? process.cwd();
    let options = entry.options;
    const exported = 'plugin' in entry ? entry.plugin : await importPlugin(entry.spec, baseDir);

    let plugin: unknown = exported;
    if (typeof exported === 'function') {
      const made = await runHook(`plugin "${spec}" factory`, this.#timeoutMs, () => exported(options));
      if (!made.ok) {
        const cause = made.error.code === 'ERR_PLUGIN_HOOK' ? made.error.cause : made.error;
        throw loadError(spec, spec, 'its factory function failed', cause);
      }
      plugin = made.value;
    }
    const valid = validatePlugin(plugin);
    if (typeof valid === 'string') throw loadError(spec, spec, valid);
    const name = valid.name;
    if (this.#plugins.some((p) => p.name === name)) {
      throw loadError(name, spec, `a plugin named "${name}" is already loaded`);
    }
    if (valid.options) options = await checkOptions(valid.options, options, name, spec);

    const staged: Staged = { open: true, commands: new Map(), helpers: new Map(), clash: null };
    const api = this.#makeApi(name, options, baseDir, staged, spec);
    const setup = await runHook(`plugin "${name}" setup`, this.#timeoutMs, () => valid.setup(api, options));
    staged.open = false;
    if (staged.clash) throw staged.clash;
    if (!setup.ok) {
      if (setup.error.code === 'ERR_PLUGIN_HOOK')
        throw loadError(name, spec, 'setup failed', setup.error.cause);
      throw loadError(name, spec, `setup did not finish within ${this.#timeoutMs} ms`, setup.error);
    }
    const hooks = this.#checkHooks(name, spec, setup.value);

    this.#plugins.push({
      name,
      spec,
      order: valid.order ?? 'normal',
      index: this.#loaded++,
      hooks,
      disabled: false,
      failures: [],
      remoteFailures: new Map(),
      muted: new Map(),
    });
    this.#plugins.sort((a, b) => ORDER_RANK[a.order] - ORDER_RANK[b.order] || a.index - b.index);
    for (const [command, def] of staged.commands) this.#commitCommand(name, command, def);
    for (const [helper, fn] of staged.helpers) this.#commitHelper(name, helper, fn);
  }

  #checkHooks(name: string, spec: string, result: unknown): PluginHooks {
    if (result === undefined || result === null) return {};
    if (typeof result !== 'object') {
      throw loadError(
        name,
        spec,
        `setup returned ${describe(result)}; it must return an object of hooks or nothing`,
      );
    }
    for (const [key, value] of Object.entries(result)) {
      if (!isHookName(key)) {
        const near = suggestHook(key);
        throw new PeerchatError(
          'ERR_PLUGIN_UNKNOWN_HOOK',
          `plugin "${name}" (${spec}) registered an unknown hook "${key}"` +
            (near ? `; did you mean "${near}"?` : `; known hooks: ${Object.keys(HOOK_KINDS).join(', ')}`),
        );
      }
      if (value !== undefined && typeof value !== 'function') {
        throw loadError(name, spec, `hook "${key}" is ${describe(value)}, not a function`);
      }
    }
    return result as PluginHooks;
  }

  #makeApi(pluginName: string, options: unknown, baseDir: string, staged: Staged, spec: string): PluginApi {
    const host = this;
    const peer = this.#peer;
    const logger = makeLogger(pluginName, this.#log);
    const live = (): void => {
      const p = this.#plugins.find((x) => x.name === pluginName);
      if (p?.disabled) throw new PeerchatError('ERR_PLUGIN_DISABLED', `plugin "${pluginName}" is disabled`);
    };
    const readonlyHelpers = new Proxy(this.helpers, {
      set: () => false,
      defineProperty: () => false,
      deleteProperty: () => false,
    });
    let stateDir: string | null = null;
    const api: PluginApi = {
      plugin: pluginName,
      get name() {
        return peer.name;
      },
      get id() {
        return peer.id;
      },
      get address() {
        return peer.address;
      },
      options,
      baseDir,
      get stateDir() {
        stateDir ??= host.#stateDirFor(pluginName);
        return stateDir;
      },
      log: logger,
      helpers: readonlyHelpers,
      async send(target: string, text: string, opts?: SendOptions) {
        live();
        return peer.send(target, text, opts);
      },
      async reply(msg: ChatMessage, text: string, opts?: SendOptions) {
        live();
        return peer.send(msg.from, text, opts);
      },
      async broadcast(text: string) {
        live();
        return peer.broadcast(text);
      },
      peers: () => peer.activePeers(),
      connectedPeers: () => peer.connectedPeers(),
      addCommand: (name, command) => {
        this.#stageCommand(pluginName, spec, staged, name, command);
      },
      addHelper: (name, fn) => {
        this.#stageHelper(pluginName, spec, staged, name, fn);
      },
    };
    if (this.#history) {
      const history = this.#history;
      api.history = (target, query) => history(target, query);
    }
    return api;
  }

  #stageCommand(plugin: string, spec: string, staged: Staged, name: string, command: PluginCommand): void {
    if (!staged.open)
      throw new PeerchatError('ERR_USAGE', `plugin "${plugin}": addCommand works only during setup`);
    if (typeof name !== 'string' || !COMMAND_NAME.test(name)) {
      throw new PeerchatError(
        'ERR_USAGE',
        `plugin "${plugin}": "${name}" is not a valid command name (no dot)`,
      );
    }
    if (typeof command?.action !== 'function' || typeof command.help !== 'string') {
      throw new PeerchatError(
        'ERR_USAGE',
        `plugin "${plugin}": command ".${name}" needs { help: string, action() }`,
      );
    }
    const owner = this.#reservedCommands.has(name)
      ? 'the built-in command'
      : this.#commandOwners.has(name)
        ? `the command of plugin "${this.#commandOwners.get(name)}"`
        : staged.commands.has(name)
          ? 'its own command'
          : null;
    if (owner) {
      staged.clash ??= new PeerchatError(
        'ERR_PLUGIN_COMMAND_CLASH',
        `plugin "${plugin}" (${spec}) adds command ".${name}", which clashes with ${owner} ".${name}"`,
      );
      throw staged.clash;
    }
    staged.commands.set(name, command);
  }

  #stageHelper(plugin: string, spec: string, staged: Staged, name: string, fn: PluginHelper): void {
    if (!staged.open)
      throw new PeerchatError('ERR_USAGE', `plugin "${plugin}": addHelper works only during setup`);
    if (typeof name !== 'string' || !HELPER_NAME.test(name)) {
      throw new PeerchatError('ERR_USAGE', `plugin "${plugin}": "${name}" is not a valid helper name`);
    }
    if (typeof fn !== 'function') {
      throw new PeerchatError('ERR_USAGE', `plugin "${plugin}": helper "${name}" must be a function`);
    }
    const owner = this.#reservedHelpers.has(name)
      ? `peer.${name} of the peer itself`
      : this.#helperOwners.has(name)
        ? `the helper of plugin "${this.#helperOwners.get(name)}"`
        : staged.helpers.has(name)
          ? 'its own helper'
          : null;
    if (owner) {
      staged.clash ??= new PeerchatError(
        'ERR_PLUGIN_COMMAND_CLASH',
        `plugin "${plugin}" (${spec}) adds helper "peer.${name}", which clashes with ${owner}`,
      );
      throw staged.clash;
    }
    staged.helpers.set(name, fn);
  }

  #commitCommand(plugin: string, name: string, command: PluginCommand): void {
    this.#commandOwners.set(name, plugin);
    this.commands.set(name, {
      help: command.help,
      plugin,
      action: async (args: string) => {
        const p = this.#plugins.find((x) => x.name === plugin)!;
        if (p.disabled) {
          this.#warn(
            new PeerchatError(
              'ERR_PLUGIN_DISABLED',
              `plugin "${plugin}" is disabled; ".${name}" is unavailable`,
            ),
          );
          return undefined;
        }
        // commands are typed by people and may take a while: no timeout, and a failure is not counted
        try {
          return await command.action.call(command, typeof args === 'string' ? args : '');
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          this.#warn(
            new PeerchatError('ERR_PLUGIN_HOOK', `plugin "${plugin}" command ".${name}" failed: ${message}`, {
              cause: err,
            }),
          );
          return undefined;
        }
      },
    });
  }

  #commitHelper(plugin: string, name: string, fn: PluginHelper): void {
    this.#helperOwners.set(name, plugin);
    this.helpers[name] = (...args: unknown[]) => {
      const p = this.#plugins.find((x) => x.name === plugin)!;
      if (p.disabled)
        throw new PeerchatError(
          'ERR_PLUGIN_DISABLED',
          `plugin "${plugin}" is disabled; peer.${name} is unavailable`,
        );
      return fn(...args);
    };
  }

  #stateDirFor(plugin: string): string {
    const safe = plugin.replace(/[^\w.-]/g, '_');
    let root: string;
    if (this.#dataDir) {
      root = path.join(this.#dataDir, 'plugins');
    } else {
      this.#tempDir ??= mkdtempSync(path.join(os.tmpdir(), 'peerchat-plugins-'));
      root = this.#tempDir;
    }
    const dir = path.join(root, safe);
    mkdirSync(dir, { recursive: true });
    return dir;
  }
}

function defaultLog(level: LogLevel, message: string): void {
  if (level === 'warn' || level === 'error') process.stderr.write(`${sanitize(message)}\n`);
}

function makeLogger(plugin: string, log: (level: LogLevel, message: string) => void): PluginLogger {
  const at =
    (level: LogLevel) =>
    (...args: unknown[]) =>
      // plugins log what peers said: escape controls before it reaches a terminal or a log file
      log(level, sanitize(`[${plugin}] ${format(...args)}`));
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

function loadError(name: string, spec: string, message: string, cause?: unknown): PeerchatError {
  const who = name === spec ? `"${name}"` : `"${name}" (${spec})`;
  const detail = cause === undefined ? '' : `: ${cause instanceof Error ? cause.message : String(cause)}`;
  return new PeerchatError('ERR_PLUGIN_LOAD', `cannot load plugin ${who}: ${message}${detail}`, { cause });
}

function validatePlugin(value: unknown): Plugin | string {
  if (typeof value !== 'object' || value === null) {
    return `the default export is ${describe(value)}; expected definePlugin({ name, setup }) or a function returning it`;
  }
  const p = value as Partial<Plugin>;
  if (typeof p.name !== 'string' || p.name.trim() === '') return 'the plugin has no name';
  if (typeof p.setup !== 'function') return `plugin "${p.name}" has no setup function`;
  if (p.options !== undefined && typeof p.options?.['~standard']?.validate !== 'function') {
    return `plugin "${p.name}" has an options schema that is not a zod schema (nor a Standard Schema)`;
  }
  if (p.order !== undefined && !(p.order in ORDER_RANK)) {
    return `plugin "${p.name}" has order ${JSON.stringify(p.order)}; expected "pre", "normal" or "post"`;
  }
  return p as Plugin;
}

function nameOf(value: unknown): string {
  if (typeof value === 'object' && value !== null && typeof (value as Plugin).name === 'string') {
    return (value as Plugin).name;
  }
  if (typeof value === 'function' && value.name) return value.name;
  return '<inline plugin>';
}

function isMessageLike(value: unknown): value is Pick<ChatMessage, 'text' | 'name'> {
  return typeof value === 'object' && value !== null && typeof (value as ChatMessage).text === 'string';
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object'
    ? 'an object'
    : `${typeof value} ${JSON.stringify(value) ?? String(value)}`;
}
