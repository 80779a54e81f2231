/**
 * What every command gets: the process streams (injectable for tests), the global options,
 * and helpers to load the config and to print results. Heavy modules are imported lazily.
 */
import type { Argv } from 'yargs';
import type { LoadedConfig } from '../config/load.js';
import { portFromText } from '../config/port-text.js';
import { PeerchatError } from '../errors.js';
import type { runPeer } from './run-peer.js';

export type RunPeer = typeof runPeer;

import type { ConfigInput } from '../config/schema.js';

export interface CliIo {
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown };
  /** Read for the name prompt; `isTTY` decides whether to ask at all. */
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export interface CliContext {
  io: CliIo;
  /** The exit code a handler decided on (main returns it). */
  exitCode: number;
  /** Replaces src/cli/run-peer.ts (tests). */
  runPeer?: RunPeer;
  /** The raw arguments being parsed (for usage-error hints). */
  args?: readonly string[];
  /** The yargs instance, for commands that print yargs-generated text (completion). */
  yargs?: Argv<GlobalArgs>;
}

/** Options every command accepts. Config keys are undefined unless given, so the config file decides. */
export interface GlobalArgs {
  name?: string;
  port?: string;
  host?: string;
  config?: string;
  connect?: string[];
  plugin?: string[];
  room?: string[];
  dataDir?: string;
  json: boolean;
  classic?: boolean;
  logLevel?: string;
  color?: boolean;
  /** Injected through yargs' parse context, not a flag. */
  ctx: CliContext;
}

/** Global options as a config layer: only what was given on the command line. */
export function flagsFrom(argv: GlobalArgs): ConfigInput {
  const flags: Record<string, unknown> = {
    name: argv.name,
    host: argv.host,
    port: argv.port === undefined ? undefined : portFromText(argv.port),
    dataDir: argv.dataDir,
    autoConnect: argv.connect,
    plugins: argv.plugin,
    rooms: argv.room,
    classic: argv.classic,
    logLevel: argv.logLevel,
    color: argv.color,
  };
  for (const k of Object.keys(flags)) if (flags[k] === undefined) delete flags[k];
  return flags as ConfigInput;
}

/** Loads the config for a command. `askName`: prompt on a TTY when no name is configured. */
export async function loadForCommand(argv: GlobalArgs, askName: boolean): Promise<LoadedConfig> {
  const { io } = argv.ctx;
  const { loadConfig } = await import('../config/load.js');
  const promptName =
    askName && io.stdin.isTTY
      ? async () => {
          const { promptForName } = await import('./prompt.js');
          const { userConfigFile } = await import('../config/load.js');
          return promptForName(io.stdin, argv.json ? io.stderr : io.stdout, userConfigFile());
        }
      : undefined;
  const loaded = await loadConfig({
    cwd: io.cwd,
    env: io.env,
    configPath: argv.config,
    flags: flagsFrom(argv),
    promptName,
  });
  // on stderr in every mode: stdout may be NDJSON or a command's data
  for (const w of loaded.warnings) io.stderr.write(`peerchat: warning ${w.code}: ${w.message}\n`);
  return loaded;
}

/** The peer runner, imported only by the commands that run a peer. */
export async function peerRunner(ctx: CliContext): Promise<RunPeer> {
  return ctx.runPeer ?? (await import('./run-peer.js')).runPeer;
}

/** A result: human text, or one NDJSON `result` line in --json mode. */
export function printResult(argv: GlobalArgs, value: unknown, human: string): void {
  const { io } = argv.ctx;
  if (argv.json) io.stdout.write(`${JSON.stringify({ type: 'result', value })}\n`);
  else io.stdout.write(human.endsWith('\n') ? human : `${human}\n`);
}

/** Normalizes a repeatable string option: yargs gives a string once, an array when repeated. */
export function toList(v: unknown): string[] | undefined {
  if (v === undefined) return undefined;
  return (Array.isArray(v) ? v : [v]).map(String);
}

/**
 * `history --room <name>` and `export --room <name>`: the global `--room` (join on start) names the
 * group room whose messages to read. One room at most.
 */
export function roomFilter(rooms: string[] | undefined): string | undefined {
  if (rooms === undefined || rooms.length === 0) return undefined;
  const [room] = rooms;
  if (rooms.length > 1 || room === undefined || room.trim() === '') {
    throw new PeerchatError('ERR_USAGE', '--room takes one room name here');
  }
  return room;
}
