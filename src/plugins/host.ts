/**
 * The plugin host: loads plugins, runs their hooks (ordered, isolated, with a timeout),
 * and disables a plugin that keeps failing. It knows the peer only through PeerApi.
 */
import { EventEmitter } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PeerchatError, type Warning } from '../errors.js';
import type { PeerApi } from '../peer/api.js';
import type { Interceptors } from '../peer/options.js';
import { sanitize } from '../sanitize.js';
import type { ChatMessage } from '../types.js';
import { makeApi } from './api.js';
import { FailurePolicy, type FailureRecord, newRecord, remoteSource } from './failures.js';
import { importPlugin } from './loader.js';
import { checkOptions } from './options.js';
import { type HostCommand, newStaged, Registry } from './registry.js';
import { runHook } from './runner.js';
import type {
  HistoryReader,
  LogLevel,
  ObserveHookName,
  ObserveHooks,
  Plugin,
  PluginHelper,
  PluginHooks,
  PluginOrder,
  TransformHookName,
} from './types.js';
import { culprit, uncaughtError } from './uncaught.js';
import { checkHooks, loadError, nameOf, ORDER_RANK, transformProblem, validatePlugin } from './validate.js';

export { type HostCommand, PEER_API_MEMBERS } from './registry.js';

const DEFAULT_HOOK_TIMEOUT_MS = 5000;
/** A plugin failing this many times within FAILURE_WINDOW_MS is disabled. */
const DEFAULT_MAX_FAILURES = 5;
const DEFAULT_FAILURE_WINDOW_MS = 60_000;
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

export interface PluginHostEvents {
  warning: [warning: Warning];
}

interface LoadedPlugin extends FailureRecord {
  spec: string;
  url: string | null;
  order: PluginOrder;
  index: number;
  hooks: PluginHooks;
}

export class PluginHost extends EventEmitter<PluginHostEvents> {
  readonly commands: Map<string, HostCommand>;
  readonly helpers: Record<string, PluginHelper>;
  /** Pass to the Peer (`PeerOptions.interceptors`). */
  readonly interceptors: Interceptors = {
    incoming: (msg) => this.transform('transformIncoming', msg),
    outgoing: (msg) => this.transform('transformOutgoing', msg),
  };

  readonly #peerRef: () => PeerApi;
  readonly #dataDir: string | null;
  readonly #timeoutMs: number;
  readonly #failures: FailurePolicy;
  readonly #registry: Registry;
  readonly #log: (level: LogLevel, message: string) => void;
  readonly #history: HistoryReader | undefined;
  readonly #plugins: LoadedPlugin[] = [];
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
    this.#registry = new Registry({
      reservedCommands: options.reservedCommands,
      reservedHelpers: options.reservedHelpers,
      isDisabled: (plugin) => this.#plugins.find((p) => p.name === plugin)?.disabled === true,
      warn: (error) => this.#warn(error),
    });
    this.commands = this.#registry.commands;
    this.helpers = this.#registry.helpers;
    this.#failures = new FailurePolicy({
      maxFailures: options.maxFailures ?? DEFAULT_MAX_FAILURES,
      windowMs: options.failureWindowMs ?? DEFAULT_FAILURE_WINDOW_MS,
      warn: (error) => this.#warn(error),
      onDisable: (p) => this.#registry.removeCommandsOf(p.name),
    });
    this.#log = options.log ?? defaultLog;
    this.#history = options.history;
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
    for (const name of options.reservedCommands ?? []) this.#registry.reservedCommands.add(name);
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
      const result = outcome.value as ChatMessage | null; // checked by transformProblem
      if (result === null) return null;
      const wrong = transformProblem(hook, result);
      if (wrong !== null) {
        const error = new PeerchatError(
          'ERR_PLUGIN_HOOK',
          `plugin "${p.name}" hook "${hook}" returned ${wrong} instead of a message or null; the message was left unchanged`,
        );
        this.#failures.fail(p, error, source);
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
      (p) => !p.disabled && typeof p.hooks[hook] === 'function' && !this.#failures.isMuted(p, source),
    );
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
      this.#failures.fail(p, outcome.error, source);
    }
    return outcome;
  }

  /** An error a plugin left outside its hooks (uncaught.ts): warned and counted, true; else false. */
  claim(err: unknown): boolean {
    const p = culprit(err, this.#plugins);
    if (p) this.#failures.fail(p, uncaughtError(p.name, err));
    return p !== null;
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
    const { value: exported, url } =
      'plugin' in entry ? { value: entry.plugin, url: null } : await importPlugin(entry.spec, baseDir);

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

    const staged = newStaged();
    const api = makeApi({
      plugin: name,
      spec,
      options,
      baseDir,
      staged,
      peer: this.#peer,
      log: this.#log,
      helpers: this.helpers,
      registry: this.#registry,
      history: this.#history,
      isDisabled: () => this.#plugins.find((x) => x.name === name)?.disabled === true,
      stateDir: () => this.#stateDirFor(name),
    });
    const setup = await runHook(`plugin "${name}" setup`, this.#timeoutMs, () => valid.setup(api, options));
    staged.open = false;
    if (staged.clash) throw staged.clash;
    if (!setup.ok) {
      if (setup.error.code === 'ERR_PLUGIN_HOOK')
        throw loadError(name, spec, 'setup failed', setup.error.cause);
      throw loadError(name, spec, `setup did not finish within ${this.#timeoutMs} ms`, setup.error);
    }
    const hooks = checkHooks(name, spec, setup.value);

    this.#plugins.push({
      ...newRecord(name),
      spec,
      url,
      order: valid.order ?? 'normal',
      index: this.#loaded++,
      hooks,
    });
    this.#plugins.sort((a, b) => ORDER_RANK[a.order] - ORDER_RANK[b.order] || a.index - b.index);
    this.#registry.commit(name, staged);
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
