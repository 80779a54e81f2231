import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { CommandModule } from 'yargs';
import { PeerchatError } from '../../errors.js';
import type { GlobalArgs } from '../context.js';
import { loadForCommand, peerRunner } from '../context.js';
import { waitMs } from './start.js';

interface RunArgs extends GlobalArgs {
  waitConnected?: number;
  script: string;
  args?: (string | number)[];
  '--'?: (string | number)[];
}

export const runCommand: CommandModule<GlobalArgs, RunArgs> = {
  command: 'run <script> [args..]',
  describe: 'Start the peer and run a script whose default export receives it (and the arguments)',
  builder: (y) =>
    y
      .positional('script', { type: 'string', demandOption: true, describe: 'An ES module file' })
      .positional('args', {
        type: 'string',
        array: true,
        describe: 'Passed to the default export as its second argument; put options after --',
      })
      .option('wait-connected', {
        type: 'number',
        describe: 'Wait up to <ms> for the autoConnect peers before running code',
      })
      .parserConfiguration({ 'populate--': true })
      .example(
        '$0 run ./bot.mjs -- --channel ops -v',
        'export default async (peer, args) => ... gets the arguments',
      ),
  handler: async (argv) => {
    const script = path.resolve(argv.ctx.io.cwd, String(argv.script));
    const st = await stat(script).catch(() => null);
    if (!st?.isFile()) throw new PeerchatError('ERR_USAGE', `script not found: ${script}`);
    const { config, baseDir, filepath } = await loadForCommand(argv, true);
    const runPeer = await peerRunner(argv.ctx);
    // words before `--` and everything after it, as typed (yargs would turn "007" into 7)
    const args = [...(argv.args ?? []), ...(argv['--'] ?? [])].map(String);
    argv.ctx.exitCode = await runPeer(config, {
      kind: 'run',
      script,
      json: argv.json,
      baseDir,
      configFile: filepath,
      args,
      waitConnected: waitMs(argv.waitConnected),
    });
  },
};
