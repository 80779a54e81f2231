/// <reference path="../types/hyperswarm__secret-stream.d.ts" preserve="true" />
/**
 * `peerchat/testing`: real peers in the test's own process for plugin authors. Each peer listens
 * on an ephemeral port on 127.0.0.1 with its own temporary data directory, loads plugins the
 * way the CLI does (same code: src/cli/run-peer.ts), and is gone after `stop()`.
 *
 * ```js
 * const alice = await startPeer({ name: 'alice', plugins: [['./index.js', { greeting: 'hi' }]] });
 * const bob = await startPeer({ name: 'bob' });
 * t.after(() => stopAll(alice, bob)); // tap: t.teardown(...)
 * await bob.connect(alice);
 * const msg = await bob.waitFor('message', (m) => m.from === alice.address);
 * ```
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createApp } from './app.js';
import { describeIssues, expectedErrorMap } from './config/issues.js';
import { type Config, type ConfigInput, configSchema } from './config/schema.js';
import { PeerchatError, type Warning } from './errors.js';
import type { ConnectOptions, PeerEvents, SendOptions } from './peer/api.js';
import type { Peer } from './peer/peer.js';
import type { PluginEntry, PluginHost } from './plugins/host.js';
import type { Plugin, PluginFactory, PluginHelper } from './plugins/types.js';
import type { PeerInfo, SendResult } from './types.js';

/** How long `waitFor` waits unless told otherwise. */
export const DEFAULT_TIMEOUT_MS = 5000;

/**
 * A plugin to load: a spec as in a config file (`'./index.js'`, a package name, `'peerchat:bot'`,
 * or a file URL), a `[spec, options]` pair, or a plugin value `{ plugin, options }`.
 */
export type TestPlugin =
  | string
  | URL
  | [spec: string | URL, options: unknown]
  // biome-ignore lint/suspicious/noExplicitAny: any plugin, whatever its options type
  | { plugin: Plugin<any> | PluginFactory<any>; options?: unknown };

export interface StartPeerOptions {
  /** The peer's name. @default 'peer1', 'peer2', ... */
  name?: string;
  /** Plugins, loaded in order before the peer listens. */
  plugins?: TestPlugin[];
  /** Relative plugin specs start here. @default process.cwd() */
  baseDir?: string;
  /** Keep history and an outbox in SQLite (in the data directory). @default false */
  store?: boolean;
  /** Use this data directory (kept after stop). @default a temporary one, removed on stop */
  dataDir?: string;
  /** Any other config key, validated like a config file (host and port default to 127.0.0.1:0). */
  config?: Omit<ConfigInput, 'name' | 'dataDir' | 'plugins' | 'store'>;
  /** The deadline `waitFor` uses by default. @default 5000 */
  timeoutMs?: number;
}

type EventName = keyof PeerEvents;
/** What `waitFor` resolves to: the event's first argument. */
export type EventValue<E extends EventName> = PeerEvents[E] extends [] ? undefined : PeerEvents[E][0];

interface Seen {
  event: EventName;
  args: unknown[];
}

const RECORDED: EventName[] = [
  'message',
  'sent',
  'peer-connected',
  'peer-disconnected',
  'peer-discovered',
  'message-failed',
  'warning',
];

let started = 0;

/** A running peer with its plugins, for a test. Stop it (or use `stopAll`) in teardown. */
export class TestPeer {
  /** Every warning the peer or a plugin reported; a clean test expects none. */
  readonly warnings: Warning[] = [];
  readonly #seen: Seen[] = [];
  readonly #waiters = new Set<(s: Seen) => void>();
  readonly #tempDir: string | null;
  readonly #timeoutMs: number;
  /** The peer's data directory (identity, known_hosts, the store, plugin state). */
  readonly dataDir: string;
  #stopping: Promise<void> | null = null;

  constructor(
    /** The peer itself: everything a script's `peer` can do, and its events. */
    readonly peer: Peer,
    /** The plugin host, null without plugins. */
    readonly host: PluginHost | null,
    opts: { dataDir: string; tempDir: string | null; timeoutMs: number },
  ) {
    this.dataDir = opts.dataDir;
    this.#tempDir = opts.tempDir;
    this.#timeoutMs = opts.timeoutMs;
    for (const event of RECORDED) {
      peer.on(event, (...args: unknown[]) => {
        const seen = { event, args };
        if (event === 'warning') this.warnings.push(args[0] as Warning);
        this.#seen.push(seen);
        for (const w of [...this.#waiters]) w(seen);
      });
    }
  }

  get name(): string {
    return this.peer.name;
  }
  /** "127.0.0.1:<port>". */
  get address(): string {
    return this.peer.address;
  }
  /** The hex public key. */
  get id(): string | null {
    return this.peer.id;
  }
  /** The plugins' helpers (what the REPL adds to `peer`). */
  get helpers(): Readonly<Record<string, PluginHelper>> {
    return this.host?.helpers ?? {};
  }

  /** Connect to another test peer (or "ip:port"); resolves once the session is open on this side. */
  connect(to: TestPeer | string, opts?: ConnectOptions): Promise<PeerInfo> {
    return this.peer.connect(addressOf(to), opts);
  }

  /** Send through every plugin's transformOutgoing, as `peer.send` does. */
  send(to: TestPeer | string, text: string, opts?: SendOptions): Promise<SendResult> {
    return this.peer.send(addressOf(to), text, opts);
  }

  /** Run a plugin's dot-command as a person would type `.name args`; resolves to what it returns. */
  async command(name: string, args = ''): Promise<unknown> {
    const command = this.host?.commands.get(name.replace(/^\./, ''));
    if (!command) throw new PeerchatError('ERR_USAGE', `${this.name}: no plugin command ".${name}"`);
    return command.action(args);
  }

  /**
   * The first `event` (already seen or still to come) whose first argument matches `predicate`;
   * rejects after the deadline with what was seen. `message` gives a ChatMessage, `peer-connected`
   * a PeerInfo, `warning` a Warning, and so on.
   */
  waitFor<E extends EventName>(
    event: E,
    predicate: (value: EventValue<E>) => boolean = () => true,
    opts: { timeoutMs?: number } = {},
  ): Promise<EventValue<E>> {
    const matches = (s: Seen) => s.event === event && predicate(s.args[0] as EventValue<E>);
    const past = this.#seen.find(matches);
    if (past) return Promise.resolve(past.args[0] as EventValue<E>);
    const timeoutMs = opts.timeoutMs ?? this.#timeoutMs;
    return new Promise((resolve, reject) => {
      const waiter = (s: Seen) => {
        if (!matches(s)) return;
        clearTimeout(timer);
        this.#waiters.delete(waiter);
        resolve(s.args[0] as EventValue<E>);
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        const seen = this.#seen.filter((s) => s.event === event).map((s) => JSON.stringify(s.args[0]));
        reject(
          new Error(
            `${this.name}: no matching "${event}" within ${timeoutMs} ms` +
              (seen.length ? `; seen: ${seen.slice(-5).join(', ')}` : `; none seen`),
          ),
        );
      }, timeoutMs);
      this.#waiters.add(waiter);
    });
  }

  /** Every `event` seen so far, as first arguments. */
  events<E extends EventName>(event: E): EventValue<E>[] {
    return this.#seen.filter((s) => s.event === event).map((s) => s.args[0] as EventValue<E>);
  }

  /** Resolves once every plugin observe hook started so far has settled (or timed out). */
  async idle(): Promise<void> {
    await this.host?.idle();
  }

  /** Run the plugins' onStop, close the peer (EXIT to its peers), remove its temp directory. Once. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      try {
        await this.host?.stop();
        await this.peer.exit();
      } finally {
        if (this.#tempDir) await rm(this.#tempDir, { recursive: true, force: true });
      }
    })();
    return this.#stopping;
  }

  /** `await using alice = await startPeer(...)` stops it at the end of the block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }
}

/** Start a peer: temp data dir, plugins loaded and started, listening on 127.0.0.1:0. */
export async function startPeer(opts: StartPeerOptions = {}): Promise<TestPeer> {
  const tempDir = opts.dataDir ? null : await mkdtemp(path.join(os.tmpdir(), 'peerchat-test-'));
  try {
    const config = testConfig(opts, opts.dataDir ?? tempDir!);
    const app = await createApp(config, { plugins: pluginEntries(opts.plugins ?? [], opts.baseDir) });
    const { peer, host } = app;
    try {
      const testPeer = new TestPeer(peer, host, {
        dataDir: config.dataDir,
        tempDir,
        timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      });
      await peer.listen();
      await host?.start();
      return testPeer;
    } catch (err) {
      await app.stop();
      throw err;
    }
  } catch (err) {
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
    throw err;
  }
}

/** Stop every peer given, even when one fails; rejects with the first failure. */
export async function stopAll(...peers: Array<TestPeer | null | undefined>): Promise<void> {
  const results = await Promise.allSettled(peers.map((p) => p?.stop()));
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
}

function testConfig(opts: StartPeerOptions, dataDir: string): Config {
  const input = {
    host: '127.0.0.1',
    port: 0,
    logLevel: 'warn',
    ...opts.config,
    store: opts.store ?? false,
  };
  const parsed = configSchema.safeParse(input, { errorMap: expectedErrorMap });
  if (!parsed.success) {
    const lines = describeIssues(parsed.error.issues, input, configSchema);
    throw new PeerchatError('ERR_CONFIG_INVALID', `startPeer config: ${lines.join('; ')}`);
  }
  return { ...parsed.data, name: opts.name ?? parsed.data.name ?? `peer${++started}`, dataDir };
}

function pluginEntries(plugins: TestPlugin[], baseDir = process.cwd()): PluginEntry[] {
  const spec = (s: string | URL) => (s instanceof URL ? s.href : s);
  return plugins.map((p) => {
    if (typeof p === 'string' || p instanceof URL) return { spec: spec(p), baseDir };
    if (Array.isArray(p)) return { spec: spec(p[0]), options: p[1], baseDir };
    return { plugin: p.plugin, options: p.options, baseDir };
  });
}

function addressOf(to: TestPeer | string): string {
  return typeof to === 'string' ? to : to.address;
}
