#!/usr/bin/env node
import { nodeProblem } from './node-check.js';

const problem = nodeProblem();
if (problem) {
  process.stderr.write(`${problem}\n`);
  process.exit(1);
}

await keepCompiledCode();

const { installProcessHandlers, main } = await import('../dist/cli/main.js');

installProcessHandlers();

// a reader that went away (`peerchat query … | head`) ends the output, not the process with a stack
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

process.exitCode = await main();

/**
 * V8's compiled code of the modules peerchat loads is kept between runs (Node's module compile
 * cache, in the user's cache directory), so a start compiles less. NODE_DISABLE_COMPILE_CACHE=1
 * turns it off; a cache that cannot be written only costs that saving.
 */
async function keepCompiledCode() {
  try {
    const { enableCompileCache } = await import('node:module');
    const { default: envPaths } = await import('env-paths');
    const { join } = await import('node:path');
    enableCompileCache?.(join(envPaths('peerchat', { suffix: '' }).cache, 'compile-cache'));
  } catch {
    // an unwritable cache directory: start as before
  }
}
