/**
 * The composition root: from a config, build the warning sink, the store, the plugin host, the
 * peer and auto-connect, each given what it needs at construction (nothing is patched in later).
 */
import { mkdir } from 'node:fs/promises';
import type { Config } from './config/schema.js';
import { errorMessage, PeerchatError, toWarning } from './errors.js';
import { loadIdentity } from './net/native/identity.js';
import { AutoConnect, BACKOFF_CAP_MS, retryNotice } from './peer/autoconnect.js';
import { Peer } from './peer/peer.js';
import { Warnings } from './peer/warnings.js';
import type { PluginEntry, PluginHost } from './plugins/host.js';
import type { LogLevel } from './plugins/types.js';
import type { Store } from './store/store.js';

export interface AppOptions {
  /**
   * `peerchat send` / `query`: an ephemeral port (or `oneShotPort`), no plugins, and the store only
   * when no running peer holds the data directory (see `stored`). @default false
   */
  oneShot?: boolean;
  /** The port a one-shot listens on (`--port`). @default 0 */
  oneShotPort?: number;
  /** Where package-name plugin specs resolve from (the config file's directory). @default cwd */
  baseDir?: string;
  /** The config file, named in plugin load errors. */
  configFile?: string;
  /** The plugins to load instead of the config's (peerchat/testing). */
  plugins?: readonly PluginEntry[];
  /** Where plugin `api.log` lines go (the REPL's printer); without it, the host's default. */
  log?: (level: LogLevel, message: string) => void;
  /** The store cannot go on (its writer died): the runner shuts down cleanly. */
  onFatal?: (err: Error) => void;
}

export interface App {
  readonly peer: Peer;
  /** Null when no plugin is configured (or for a one-shot). */
  readonly host: PluginHost | null;
  /** Why a one-shot keeps no history (a running peer holds the data directory), else null. */
  readonly notStored: string | null;
  /** The one sink: network, plugins, auto-connect and rooms all report here. */
  readonly warnings: Warnings;
  /** After listening: auto-connect, join the configured rooms, run the plugins' onStart. */
  begin(): Promise<void>;
  /** Stop auto-connect and the plugins, then EXIT the peer. Once; later calls share the first. */
  stop(): Promise<void>;
}

export async function createApp(config: Config, opts: AppOptions = {}): Promise<App> {
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 }).catch((err: NodeJS.ErrnoException) => {
    const why = err.code === 'EEXIST' || err.code === 'ENOTDIR' ? 'it (or a parent) is a file' : err.message;
    throw new PeerchatError('ERR_DATA_DIR', `cannot use ${config.dataDir} as the data directory: ${why}`, {
      cause: err,
    });
  });
  const identity = await loadIdentity(config.dataDir);
  const oneShot = opts.oneShot ?? false;
  // one-shots run beside a running peer on the same data directory: they write the history only
  // when its lock is free (a running peer's store cannot be written from here)
  let store: Store | null = null;
  let notStored: string | null = null;
  if (config.store && !oneShot) store = await openStore(config);
  else if (config.store) {
    try {
      store = await openStore(config);
    } catch (err) {
      const locked = err instanceof PeerchatError && err.code === 'ERR_STORE_LOCKED';
      notStored = locked
        ? `not stored in the history: a running peer holds the data directory ${config.dataDir}`
        : `not stored in the history: ${errorMessage(err)}`;
    }
  }
  const warnings = new Warnings();
  if (store) {
    store.on('warning', (err) => warnings.sink(toWarning(err, 'store', 'ERR_STORE_WRITE')));
    store.on('fatal', (err) => {
      warnings.sink(toWarning(err, 'store', 'ERR_STORE_WRITE'));
      opts.onFatal?.(err);
    });
  }
  let peer: Peer | null = null;
  const entries = oneShot ? [] : (opts.plugins ?? configPluginEntries(config, opts));
  const host = await createHost(config, entries.length, () => peer!, warnings, opts.log);
  peer = new Peer({
    name: config.name,
    host: config.host,
    port: oneShot ? (opts.oneShotPort ?? 0) : config.port,
    identity,
    dataDir: config.dataDir,
    classic: config.classic,
    allow: config.allow,
    limits: config.limits,
    timeouts: config.timeouts,
    store,
    dht: { bootstrap: config.dht.bootstrap },
    roomMaxEntries: config.history.roomMaxEntries,
    interceptors: host?.interceptors,
    warnings,
    transient: oneShot,
  });
  const ready: Peer = peer;
  if (host) {
    try {
      await host.load(entries);
      host.attach();
    } catch (err) {
      await ready.exit(); // the store and its lock are released before the error is reported
      throw err;
    }
  }

  const autoConnect = new AutoConnect(
    ready,
    config.autoConnect.map((e) => (typeof e === 'string' ? { address: e } : e)),
  );
  autoConnect.on('retry', (entry, attempt, delay, err) => {
    // a peer that is down is retried for ever: warn for the first tries, then say once it goes on
    const notice = retryNotice(attempt);
    if (notice === 'quiet') return;
    const more =
      notice === 'last'
        ? `; still trying, at most every ${BACKOFF_CAP_MS / 1000} s, without further warnings`
        : `; retrying in ${(delay / 1000).toFixed(1)} s`;
    warnings.sink({
      ...toWarning(err, `autoConnect ${entry.address}`, 'ERR_INTERNAL'),
      message: `autoConnect ${entry.address}: attempt ${attempt} failed (${errorMessage(err)})${more}`,
    });
  });

  let stopping: Promise<void> | null = null;
  return {
    peer: ready,
    host,
    notStored,
    warnings,
    async begin() {
      autoConnect.start();
      for (const room of config.rooms) {
        // joined in the background: the REPL is usable while the DHT bootstraps
        ready.join(room).catch((err) => warnings.sink(toWarning(err, `room ${room}`, 'ERR_ROOM')));
      }
      await host?.start();
    },
    stop() {
      stopping ??= (async () => {
        autoConnect.stop();
        await host?.stop();
        await ready.exit();
      })();
      return stopping;
    },
  };
}

async function openStore(config: Config): Promise<Store> {
  const { Store } = await import('./store/store.js');
  return Store.open({
    dataDir: config.dataDir,
    retention: {
      days: config.history.retentionDays,
      maxMessages: config.history.maxMessages,
      maxBytes: config.history.maxBytes,
      maxPending: config.history.maxPending,
    },
    outbox: {
      maxPerPeer: config.outbox.maxPerPeer,
      maxTotal: config.outbox.maxTotal,
      expireMs: config.outbox.expireHours * 3_600_000,
    },
  });
}

/** The config's plugins as host entries: relative to the config file's directory, named after it in errors. */
function configPluginEntries(config: Config, opts: AppOptions): PluginEntry[] {
  const baseDir = opts.baseDir ?? process.cwd();
  const source = opts.configFile;
  return config.plugins.map((p) =>
    typeof p === 'string' ? { spec: p, baseDir, source } : { spec: p[0], options: p[1], baseDir, source },
  );
}

async function createHost(
  config: Config,
  plugins: number,
  peer: () => Peer,
  warnings: Warnings,
  log: AppOptions['log'],
): Promise<PluginHost | null> {
  if (plugins === 0) return null;
  const [{ PluginHost }, { RESERVED_COMMANDS }] = await Promise.all([
    import('./plugins/host.js'),
    import('./repl/commands.js'),
  ]);
  const host = new PluginHost({
    peer,
    dataDir: config.dataDir,
    hookTimeoutMs: config.pluginTimeoutMs,
    reservedCommands: RESERVED_COMMANDS,
    log,
    history: (target, q) => peer().history(target, q),
  });
  host.on('warning', warnings.sink);
  return host;
}
