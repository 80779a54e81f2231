import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Test } from 'tap';
import type { PluginHostOptions } from '../../../src/plugins/index.js';
import { makeHost } from './host.js';

const DIST_ENTRY = fileURLToPath(new URL('../../../dist/index.js', import.meta.url));

export interface WithPluginOptions {
  options?: unknown;
  host?: Partial<PluginHostOptions>;
  peerName?: string;
  /** @default process.cwd() */
  baseDir?: string;
}

/**
 * A host on a FakePeer with one first-party plugin loaded as `peerchat:<name>`, exactly as a
 * config would name it, and started. First-party plugins import 'peerchat' (dist/): build first.
 */
export async function withPlugin(t: Test, name: string, opts: WithPluginOptions = {}) {
  if (!existsSync(DIST_ENTRY))
    throw new Error('dist/index.js is missing: run `npm run build` before these tests');
  const ctx = makeHost(t, opts.host, opts.peerName);
  await ctx.host.load([
    { spec: `peerchat:${name}`, options: opts.options, baseDir: opts.baseDir ?? process.cwd() },
  ]);
  await ctx.host.start();
  return ctx;
}
