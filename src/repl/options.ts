/** What the REPL and script mode are both given: the peer, plugin extensions, output settings. */
import type { PeerApi } from '../peer/api.js';
import type { ReplCommand } from './commands.js';
import type { Helper } from './global.js';
import type { LogRelay } from './plugin-log.js';
import type { LogLevel } from './printer.js';

export interface SurfaceOptions {
  peer: PeerApi;
  json: boolean;
  /** Plugin dot-commands (PluginHost.commands). */
  commands?: ReadonlyMap<string, ReplCommand>;
  /** Plugin helpers (PluginHost.helpers), e.g. `peer.block`. */
  helpers?: Record<string, Helper>;
  /** More `peer` members (getters kept). */
  extra?: object;
  /** In --json mode, write a `listening` line first (the peer already listens). @default false */
  announce?: boolean;
  /** How much human text to print (--log-level). @default 'info' */
  logLevel?: LogLevel;
  /** Plugin log lines, printed as --log-level allows (stderr in scripts, above the prompt in the REPL). */
  logs?: LogRelay;
  /**
   * Run once the output is attached, before the first input (the CLI starts autoConnect and the
   * plugins' onStart here, and waits for --wait-connected): their events are shown, not lost.
   */
  ready?: () => Promise<void>;
}
