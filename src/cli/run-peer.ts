/**
 * The one entry the CLI uses to run a peer (start, send, query, run). The lead wires the body
 * to Peer + REPL; the CLI only parses arguments and loads the config.
 */
import type { Config } from '../config/schema.js';
import { PeerchatError } from '../errors.js';

export type RunMode =
  | { kind: 'start'; json: boolean; eval?: string }
  | { kind: 'send'; target: string; text: string; json: boolean }
  | { kind: 'query'; target: string; json: boolean }
  | { kind: 'run'; script: string; json: boolean };

/** Runs the peer in the given mode and resolves to the process exit code. */
export async function runPeer(_config: Config, _mode: RunMode): Promise<number> {
  throw new PeerchatError('ERR_USAGE', 'not wired yet');
}
