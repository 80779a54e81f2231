/**
 * Headless mode: a peer with no REPL and no script, for bots under systemd, nohup or a container. It
 * prints its messages and events (NDJSON with --json) and runs until a signal (run-peer.ts says
 * EXIT to the peers and exits 0 then).
 */
import { fstatSync } from 'node:fs';
import type { Writable } from 'node:stream';
import type { PeerApi } from '../peer/api.js';
import type { LogRelay } from '../repl/plugin-log.js';
import type { LogLevel } from '../repl/printer.js';

export interface HeadlessOptions {
  output: Writable;
  json: boolean;
  color: boolean;
  logLevel?: LogLevel;
  /** Write the `listening` line (NDJSON) now. */
  announce: boolean;
  /** Plugin log lines (`api.log.*`): printed as --log-level allows, on stderr with --json. */
  logs?: LogRelay;
  /** Where plugin log lines go with --json. @default process.stderr */
  errorOutput?: Writable;
  /** Run once the output is attached (autoConnect, plugins' onStart). */
  ready?: () => Promise<void>;
}

/** Stream the peer's events to `output`; the promise never resolves (a signal ends the process). */
export async function runHeadless(peer: PeerApi, opts: HeadlessOptions): Promise<number> {
  const repl = await import('../repl/index.js');
  const printer = new repl.Printer({
    // stdout stays NDJSON with --json: log lines go to stderr, as in script mode
    output: opts.json ? (opts.errorOutput ?? process.stderr) : opts.output,
    color: opts.color,
    terminal: false,
    logLevel: opts.logLevel,
  });
  if (opts.json) repl.attachJson(peer, new repl.JsonWriter(opts.output), { announce: opts.announce });
  else repl.attachPrinter(peer, printer);
  opts.logs?.attach((level, message) => printer.log(level, message));
  await opts.ready?.();
  return new Promise<number>(() => {});
}

/**
 * True when stdin is `/dev/null` or alike: a character device that is not a terminal, or an empty
 * regular file (what nohup, systemd and `docker run` without -i give). A pipe is always a script,
 * even one that ends empty (`printf '' | peerchat` exits, as it always did).
 */
export function nullInput(input: object): boolean {
  const { fd, isTTY } = input as { fd?: unknown; isTTY?: boolean };
  if (isTTY || typeof fd !== 'number') return false;
  try {
    const st = fstatSync(fd);
    return st.isCharacterDevice() || (st.isFile() && st.size === 0);
  } catch {
    return false;
  }
}
