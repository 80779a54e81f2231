/**
 * The one entry the CLI uses to run a peer (start, send, query, run): the app (src/app.ts), then
 * the REPL or script runner, and a graceful shutdown on every way out.
 */
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { createApp } from '../app.js';
import type { Config } from '../config/schema.js';
import type { Peer } from '../peer/peer.js';
import { LogRelay } from '../repl/plugin-log.js';
import { sanitize } from '../sanitize.js';
import { claimUncaught, onFatalShutdown } from './fatal.js';

export type RunMode =
  /** baseDir: the config file's directory; package-name plugin specs resolve from there. */
  | {
      kind: 'start';
      json: boolean;
      eval?: string;
      baseDir?: string;
      configFile?: string | null;
      /** No REPL, no script: run until a signal (also when stdin is empty and not a terminal). */
      headless?: boolean;
      /** Wait up to this many ms for the autoConnect peers (peer.ready()) before any code runs. */
      waitConnected?: number;
    }
  | { kind: 'send'; target: string; text: string; json: boolean; port?: number }
  | { kind: 'query'; target: string; json: boolean }
  | {
      kind: 'run';
      script: string;
      json: boolean;
      baseDir?: string;
      configFile?: string | null;
      args?: string[];
      waitConnected?: number;
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
  // plugin logs wait for the REPL's printer; after it detaches, warnings and errors go to stderr
  const logs = new LogRelay((level, message) => {
    if (level === 'warn' || level === 'error') io.stderr.write(`${message}\n`);
  });
  const withConfig = mode.kind === 'start' || mode.kind === 'run';
  const app = await createApp(config, {
    oneShot: oneShotMode,
    oneShotPort: mode.kind === 'send' ? mode.port : undefined,
    baseDir: withConfig ? mode.baseDir : undefined,
    configFile: (withConfig && mode.configFile) || undefined,
    log: logs.log,
    // reported as a warning first; then EXIT to the peers and exit code 1, never a silent death
    onFatal: () => void app.stop().then(() => process.exit(1)),
  });
  if (mode.kind === 'send' || mode.kind === 'query')
    return oneShot(app.peer, mode, io, app.notStored, config.dataDir);
  try {
    return await runSurface(app, config, mode, io, logs);
  } catch (err) {
    // a failure before the REPL or script took over (ERR_LISTEN, a bad script): the store's
    // writer thread and the plugins must stop too, or the process never exits
    await app.stop().catch(() => {});
    throw err;
  }
}

type App = Awaited<ReturnType<typeof createApp>>;

async function runSurface(
  app: App,
  config: Config,
  mode: Exclude<RunMode, { kind: 'send' | 'query' }>,
  io: RunIo,
  logs: LogRelay,
): Promise<number> {
  const { peer, host } = app;
  // a plugin's error outside its hooks is the plugin's failure, not the peer's (plugins/uncaught.ts)
  const unclaimPlugins = host ? claimUncaught((err) => host.claim(err)) : () => {};
  const { shouldUseColor } = await import('../repl/format.js');
  const color = shouldUseColor({
    flag: config.color ?? undefined,
    stream: (mode.json ? io.stderr : io.stdout) as { isTTY?: boolean },
  });
  await peer.listen();
  const { runHeadless, nullInput } = await import('./headless.js');
  // --headless, or stdin at /dev/null with nothing else to run (a service, nohup, a container)
  const headless =
    mode.kind === 'start' && (mode.headless === true || (mode.eval === undefined && nullInput(io.stdin)));
  const interactive =
    mode.kind === 'start' && !headless && mode.eval === undefined && Boolean(io.stdin.isTTY);
  if (!mode.json) {
    // scripts keep stdout for their results
    (interactive ? io.stdout : io.stderr).write(
      `${peer.name} listening on ${peer.host}:${peer.port}` +
        (peer.fingerprint ? ` (id ${peer.fingerprint})` : '') +
        '\n',
    );
  }

  const stop = () => app.stop();
  onFatalShutdown(stop); // an unhandled rejection still says EXIT to the peers (src/cli/fatal.ts)
  const onSignal = () => {
    void stop().then(() => process.exit(0));
  };
  const waitConnected = mode.waitConnected;
  // run by the REPL, script or headless loop once its output is attached, so the events of the
  // first connections (autoConnect, plugins' onStart) are shown; scripts run after it
  const ready = async () => {
    await app.begin();
    // the configured peers first, then the code (`-e 'await peer.broadcast(...)'` reaches them)
    if (waitConnected !== undefined) await peer.ready({ timeout: waitConnected });
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
    ready,
  };

  for (const s of SIGNALS) if (!(interactive && s === 'SIGINT')) process.on(s, onSignal);
  // the terminal closed under the REPL (a closed window, a killed tmux): readline's last write or
  // setRawMode fails with EIO. That is a hang-up, not a crash: EXIT to the peers, as on SIGHUP
  const unclaimTty = interactive
    ? claimUncaught((err) => {
        if ((err as { code?: unknown })?.code !== 'EIO') return false;
        onSignal();
        return true;
      })
    : () => {};

  let done: Promise<number>;
  const repl = await import('../repl/index.js');
  if (headless) {
    done = runHeadless(peer, {
      output: io.stdout,
      errorOutput: io.stderr,
      json: mode.json,
      color,
      logLevel: config.logLevel,
      announce: mode.json,
      logs,
      ready,
    });
  } else if (mode.kind === 'run') {
    done = repl.runModule(mode.script, common, mode.args);
  } else if (mode.eval !== undefined) {
    done = repl.evalCode(mode.eval, common);
  } else if (!interactive) {
    done = repl.runScript({ ...common, input: io.stdin });
  } else {
    done = new Promise<number>((resolve, reject) => {
      repl
        .startRepl({
          ...common,
          input: io.stdin,
          historyFile: join(config.dataDir, 'repl_history'),
          claimUncaught,
          onQuit: async (code) => {
            await stop();
            resolve(code);
          },
        })
        .catch(reject);
    });
  }
  const code = await done;
  // the REPL or script has let go of the output: what stopping says (a plugin's failing onStop)
  // still reaches stderr
  peer.on('warning', (w) => io.stderr.write(`peerchat: warning ${w.code}: ${sanitize(w.message)}\n`));
  await stop();
  for (const s of SIGNALS) process.off(s, onSignal);
  unclaimTty();
  unclaimPlugins();
  return code;
}

/** `peerchat send` / `peerchat query`: an ephemeral peer that does one thing and leaves. */
async function oneShot(
  peer: Peer,
  mode: Extract<RunMode, { kind: 'send' | 'query' }>,
  io: RunIo,
  notStored: string | null,
  dataDir: string,
): Promise<number> {
  try {
    await peer.listen();
    if (notStored && mode.kind === 'send') io.stderr.write(`peerchat: ${notStored}\n`);
    if (mode.kind === 'send') {
      const result = await peer.send(mode.target, mode.text);
      print(
        io,
        mode.json,
        result,
        `${result.state} ${result.protocol} message to ${result.to} (id ${result.id})`,
      );
      if (result.state === 'queued') {
        // a one-shot exits now: say who will deliver it, if anyone
        if (notStored) {
          io.stderr.write(
            'peerchat: not delivered, and not kept: the outbox of the running peer cannot be written from here. Send it from that peer\n',
          );
          return 1;
        }
        io.stderr.write(
          `peerchat: not delivered yet: it waits in the outbox of ${dataDir} and goes out when a peer started there reaches ${result.to}\n`,
        );
      }
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
