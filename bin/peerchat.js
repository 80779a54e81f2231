#!/usr/bin/env node
import { nodeProblem } from './node-check.js';

const problem = nodeProblem();
if (problem) {
  process.stderr.write(`${problem}\n`);
  process.exit(1);
}

const { installProcessHandlers, main } = await import('../dist/cli/main.js');

installProcessHandlers();

// a reader that went away (`peerchat query … | head`) ends the output, not the process with a stack
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

process.exitCode = await main();
