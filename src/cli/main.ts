/**
 * The CLI entry: parse, run the command, map errors to a one-line message and an exit code.
 * Exit codes: 0 success, 1 runtime failure, 2 usage or config error.
 */
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { Code } from '../errors.js';
import type { CliContext, CliIo, RunPeer } from './context.js';
import { installFatalHandlers } from './fatal.js';
import { buildCli } from './program.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** A plugin that cannot be loaded is a config mistake too: the config names it. */
const USAGE_CODES: ReadonlySet<string> = new Set<Code>([
  'ERR_USAGE',
  'ERR_DATA_DIR',
  'ERR_CONFIG_INVALID',
  'ERR_CONFIG_NOT_FOUND',
  'ERR_PLUGIN_LOAD',
  'ERR_PLUGIN_UNKNOWN_HOOK',
  'ERR_PLUGIN_COMMAND_CLASH',
]);

export interface MainDeps {
  /** Replaces src/cli/run-peer.ts (tests). */
  runPeer?: RunPeer;
}

export async function main(
  argv: string[] = process.argv.slice(2),
  io: Partial<CliIo> = {},
  deps: MainDeps = {},
): Promise<number> {
  const fullIo: CliIo = {
    stdout: io.stdout ?? process.stdout,
    stderr: io.stderr ?? process.stderr,
    stdin: io.stdin ?? process.stdin,
    env: io.env ?? process.env,
    cwd: io.cwd ?? process.cwd(),
  };
  const ctx: CliContext = { io: fullIo, exitCode: EXIT_OK, args: argv, runPeer: deps.runPeer };
  try {
    const cli = buildCli(ctx);
    let output = '';
    let failed: unknown = null;
    // with a callback yargs hands over help/version/completion text instead of logging it
    await cli.parseAsync(argv, { ctx }, (err, _argv, out) => {
      if (err) failed ??= err;
      if (out) output = out;
    });
    if (failed) throw failed;
    if (output) fullIo.stdout.write(output.endsWith('\n') ? output : `${output}\n`);
    return ctx.exitCode;
  } catch (err) {
    return report(err, fullIo, wantsJson(argv));
  }
}

/** Prints one line (`peerchat: <message> (<code>)`), or an NDJSON error in --json mode. */
export function report(err: unknown, io: CliIo, json: boolean): number {
  const e = err as { code?: unknown; name?: unknown; message?: unknown };
  const isYargs = e?.name === 'YError';
  const code = isYargs ? 'ERR_USAGE' : typeof e?.code === 'string' ? e.code : null;
  const message = typeof e?.message === 'string' && e.message !== '' ? e.message : String(err);
  if (json) io.stdout.write(`${JSON.stringify({ type: 'error', code, message: oneLine(message) })}\n`);
  else io.stderr.write(`peerchat: ${oneLine(message)}${code ? ` (${code})` : ''}\n`);
  return code !== null && USAGE_CODES.has(code) ? EXIT_USAGE : EXIT_FAILURE;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/** --json before any `--`: errors found while parsing still honour it. */
function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  const args = end === -1 ? argv : argv.slice(0, end);
  let json = false;
  for (const a of args) {
    if (a === '--json' || a === '--json=true') json = true;
    else if (a === '--no-json' || a === '--json=false') json = false;
  }
  return json;
}

/** For the process entry (bin/peerchat.js): an unhandled rejection is reported like any error, then a clean exit 1. */
export function installProcessHandlers(argv: readonly string[] = process.argv.slice(2)): void {
  const io: CliIo = {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
  };
  installFatalHandlers((err) => {
    report(err, io, wantsJson(argv));
  });
}

function isEntry(): boolean {
  try {
    return (
      process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href
    );
  } catch {
    return false;
  }
}

if (isEntry()) {
  installProcessHandlers();
  process.exitCode = await main();
}
