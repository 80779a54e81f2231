import type { CommandModule } from 'yargs';
import type { GlobalArgs } from '../context.js';
import { loadForCommand, peerRunner } from '../context.js';

interface StartArgs extends GlobalArgs {
  eval?: string;
}

export const startCommand: CommandModule<GlobalArgs, StartArgs> = {
  command: ['start', '$0'],
  describe: 'Start the peer with the interactive REPL (the default command)',
  builder: (y) =>
    y.option('eval', {
      alias: 'e',
      type: 'string',
      describe: 'Evaluate code with `peer` in scope, then exit',
    }),
  handler: async (argv) => {
    const { config, baseDir, filepath } = await loadForCommand(argv, true);
    const runPeer = await peerRunner(argv.ctx);
    argv.ctx.exitCode = await runPeer(config, {
      kind: 'start',
      json: argv.json,
      eval: argv.eval,
      baseDir,
      configFile: filepath,
    });
  },
};
