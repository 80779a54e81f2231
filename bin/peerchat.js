#!/usr/bin/env node
import { installProcessHandlers, main } from '../dist/cli/main.js';

installProcessHandlers();

// a reader that went away (`peerchat query … | head`) ends the output, not the process with a stack
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

process.exitCode = await main();
