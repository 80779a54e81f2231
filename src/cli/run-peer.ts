/**
 * The one entry the CLI uses to run a peer (start, send, query, run): identity, Peer, plugins,
 * auto-connect, the REPL or script runner, and a graceful shutdown on every way out.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import type { Config } from '../config/schema.js';
import { PeerchatError } from '../errors.js';
import { loadIdentity } from '../net/native/identity.js';
import { AutoConnect, BACKOFF_CAP_MS, retryNotice } from '../peer/autoconnect.js';
import { Peer } from '../peer/peer.js';
import type { PluginEntry, PluginHost } from '../plugins/host.js';
import { LogRelay } from '../repl/plugin-log.js';
import { onFatalShutdown } from './fatal.js';

export type RunMode =
  /** baseDir: the config file's directory; package-name plugin specs resolve from there. */
  | { kind: 'start'; json: boolean; eval?: string; baseDir?: string; configFile?: string | null }
  | { kind: 'send'; target: string; text: string; json: boolean }
  | { kind: 'query'; target: string; json: boolean }
  | {
      kind: 'run';
      script: string;
      json: boolean;
      baseDir?: string;
      configFile?: string | null;
      args?: string[];
    };

export interface RunIo {
  stdin: Readable & { isTTY?: boolean };
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable;
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** Runs the peer in the given mode and resolves to the process exit code. */
export async function runPeer(config: Config, mode: RunMode, io: RunIo = process): Promise<number> {
  const oneShotMode = mode.kind === 'send' || mode.kind === 'query';
  const peer = await createPeer(config, { oneShot: oneShotMode });
  if (mode.kind === 'send' || mode.kind === 'query') return oneShot(peer, mode, io);

  const { shouldUseColor } = await import('../repl/format.js');
  const color = shouldUseColor({
    flag: config.color ?? undefined,
    stream: (mode.json ? io.stderr : io.stdout) as { isTTY?: boolean },
  });
  // plugin logs wait for the REPL's printer; after it detaches, warnings and errors go to stderr
  const logs = new LogRelay((level, message) => {
    if (level === 'warn' || level === 'error') io.stderr.write(`${message}\n`);
  });
  const host = await loadPlugins(peer, config, configPluginEntries(config, mode), logs);
  await peer.listen();
  const interactive = mode.kind === 'start' && mode.eval === undefined && Boolean(io.stdin.isTTY);
  if (!mode.json) {
    // scripts keep stdout for their results
    (interactive ? io.stdout : io.stderr).write(
      `${peer.name} listening on ${peer.host}:${peer.port}` +
        (peer.fingerprint ? ` (id ${peer.fingerprint})` : '') +
        '\n',
    );
  }

  const autoConnect = new AutoConnect(
    peer,
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
    peer.emit('warning', {
      code: err instanceof PeerchatError ? err.code : 'ERR_PEER_UNREACHABLE',
      message: `autoConnect ${entry.address}: attempt ${attempt} failed (${errorText(err)})${more}`,
      cause: err,
    });
  });

  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    if (!stopping) {
      stopping = (async () => {
        autoConnect.stop();
        await host?.stop();
        await peer.exit();
      })();
    }
    return stopping;
  };
  onFatalShutdown(stop); // an unhandled rejection still says EXIT to the peers (src/cli/fatal.ts)
  const onSignal = () => {
    void stop().then(() => process.exit(0));
  };

  const common = {
    peer,
    output: io.stdout,
    errorOutput: io.stderr,
    json: mode.json,
    color,
    commands: host?.commands,
    helpers: host?.helpers,
    announce: mode.json,
    logLevel: config.logLevel,
    logs,
    extra: storeMembers(peer),
  };

  for (const s of SIGNALS) if (!(interactive && s === 'SIGINT')) process.on(s, onSignal);

  let done: Promise<number>;
  const repl = await import('../repl/index.js');
  if (mode.kind === 'run') {
    done = repl.runModule(mode.script, common, mode.args);
  } else if (mode.eval !== undefined) {
    done = repl.evalCode(mode.eval, common);
  } else if (!interactive) {
    done = repl.runScript({ ...common, input: io.stdin });
  } else {
    done = new Promise<number>((resolve) => {
      void repl.startRepl({
        ...common,
        input: io.stdin,
        historyFile: join(config.dataDir, 'repl_history'),
        onQuit: async (code) => {
          await stop();
          resolve(code);
        },
      });
    });
  }
  autoConnect.start();
  for (const room of config.rooms) {
    // joined in the background: the REPL is usable while the DHT bootstraps
    peer.join(room).catch((err) =>
      peer.emit('warning', {
        code: err instanceof PeerchatError ? err.code : 'ERR_ROOM',
        message: `room ${room}: ${errorText(err)}`,
        cause: err,
      }),
    );
  }
  await host?.start();
  const code = await done;
  await stop();
  for (const s of SIGNALS) process.off(s, onSignal);
  return code;
}

/**
 * Identity, store and Peer from a config (not listening yet). Shared with peerchat/testing.
 * `oneShot`: an ephemeral port and no store (one-shots run beside a peer on the same data dir).
 */
export async function createPeer(config: Config, opts: { oneShot?: boolean } = {}): Promise<Peer> {
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const identity = await loadIdentity(config.dataDir);
  const store = config.store && !opts.oneShot ? await openStore(config) : null;
  return new Peer({
    name: config.name,
    host: config.host,
    port: opts.oneShot ? 0 : config.port,
    identity,
    dataDir: config.dataDir,
    classic: config.classic,
    allow: config.allow,
    limits: config.limits,
    timeouts: config.timeouts,
    store,
    dht: { bootstrap: config.dht.bootstrap },
  });
}

async function openStore(config: Config) {
  const { Store } = await import('../store/store.js');
  return Store.open({
    dataDir: config.dataDir,
    retention: { days: config.history.retentionDays, maxMessages: config.history.maxMessages },
    outbox: {
      maxPerPeer: config.outbox.maxPerPeer,
      maxTotal: config.outbox.maxTotal,
      expireMs: config.outbox.expireHours * 3_600_000,
    },
  });
}

/** History, outbox and rooms on the `peer` global. */
function storeMembers(peer: Peer) {
  return {
    join: (room: string, opts?: { secret?: string }) => peer.join(room, opts),
    leave: (room: string) => peer.leave(room),
    rooms: () => peer.rooms(),
    history: (target?: string, opts?: Parameters<Peer['history']>[1]) => peer.history(target, opts),
    outbox: () => peer.outbox(),
    retry: (id: string) => peer.retry(id),
    drop: (id: string) => peer.drop(id),
  };
}

/** The config's plugins as host entries: relative to the config file's directory, named after it in errors. */
function configPluginEntries(
  config: Config,
  mode: Extract<RunMode, { kind: 'start' | 'run' }>,
): PluginEntry[] {
  const baseDir = mode.baseDir ?? process.cwd();
  const source = mode.configFile ?? undefined;
  return config.plugins.map((p) =>
    typeof p === 'string' ? { spec: p, baseDir, source } : { spec: p[0], options: p[1], baseDir, source },
  );
}

/** A plugin host for the peer with `entries` loaded and attached (not started); null without plugins. */
export async function loadPlugins(
  peer: Peer,
  config: Config,
  entries: readonly PluginEntry[],
  /** Where plugin `api.log` lines go (the REPL's printer); without it, the host's default. */
  logs?: LogRelay,
): Promise<PluginHost | null> {
  if (entries.length === 0) return null;
  const [{ PluginHost }, { RESERVED_COMMANDS }] = await Promise.all([
    import('../plugins/host.js'),
    import('../repl/commands.js'),
  ]);
  const host = new PluginHost({
    peer,
    dataDir: config.dataDir,
    hookTimeoutMs: config.pluginTimeoutMs,
    reservedCommands: RESERVED_COMMANDS,
    log: logs?.log,
    history: (target, q) =>
      peer
        .history(target, { limit: q?.limit, before: q?.before })
        .filter((m) => q?.since === undefined || m.ts >= q.since),
  });
  host.on('warning', (w) => peer.emit('warning', w));
  await host.load(entries);
  host.attach();
  peer.interceptors = host.interceptors;
  return host;
}

/** `peerchat send` / `peerchat query`: an ephemeral peer that does one thing and leaves. */
async function oneShot(
  peer: Peer,
  mode: Extract<RunMode, { kind: 'send' | 'query' }>,
  io: RunIo,
): Promise<number> {
  await peer.listen();
  try {
    if (mode.kind === 'send') {
      const result = await peer.send(mode.target, mode.text);
      print(
        io,
        mode.json,
        result,
        `${result.state} ${result.protocol} message to ${result.to} (id ${result.id})`,
      );
    } else {
      const keys = await peer.query(mode.target);
      print(io, mode.json, keys, keys.length ? keys.join('\n') : '(no peers)');
    }
    return 0;
  } finally {
    await peer.exit();
  }
}

function print(io: RunIo, json: boolean, value: unknown, human: string): void {
  io.stdout.write(json ? `${JSON.stringify({ type: 'result', value })}\n` : `${human}\n`);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
