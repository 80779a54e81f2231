/** Runs the CLI in-process with captured output, a sandboxed config search and a given data directory. */
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type { CliIo } from '../../src/cli/context.js';
import { main } from '../../src/cli/main.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliRunOptions {
  cwd: string;
  dataDir?: string;
  env?: NodeJS.ProcessEnv;
  /** Replaces the captured stdout (a real stream, for backpressure tests). */
  stdout?: CliIo['stdout'];
}

export async function runCli(argv: string[], o: CliRunOptions): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: o.stdout ?? { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    stdin: Object.assign(new PassThrough(), { isTTY: false }),
    cwd: o.cwd,
    env: { ...(o.dataDir === undefined ? {} : { PEERCHAT_DATA_DIR: o.dataDir }), ...o.env },
  });
  return { code, stdout, stderr };
}

/**
 * A temporary root outside the repository (so no config file of the repo is found), used as the
 * XDG config and data homes too; removed when the test file ends. Returns a maker of new subdirectories.
 */
export function sandbox(t: { teardown(fn: () => unknown): void }): () => string {
  const root = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'peerchat-cli-')));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  process.env.XDG_CONFIG_HOME = path.join(root, 'xdg-config');
  process.env.XDG_DATA_HOME = path.join(root, 'xdg-data');
  return () => mkdtempSync(path.join(root, 'd-'));
}
