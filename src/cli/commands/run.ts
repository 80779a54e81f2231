import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { CommandModule } from 'yargs';
import { PeerchatError } from '../../errors.js';
import type { GlobalArgs } from '../context.js';
import { loadForCommand, peerRunner } from '../context.js';

interface RunArgs extends GlobalArgs {
  script: string;
}

export const runCommand: CommandModule<GlobalArgs, RunArgs> = {
  command: 'run <script>',
  describe: 'Start the peer and run a script whose default export receives it',
  builder: (y) =>
    y.positional('script', { type: 'string', demandOption: true, describe: 'An ES module file' }),
  handler: async (argv) => {
    const script = path.resolve(argv.ctx.io.cwd, String(argv.script));
    const st = await stat(script).catch(() => null);
    if (!st?.isFile()) throw new PeerchatError('ERR_USAGE', `script not found: ${script}`);
    const { config, baseDir, filepath } = await loadForCommand(argv, true);
    const runPeer = await peerRunner(argv.ctx);
    argv.ctx.exitCode = await runPeer(config, {
      kind: 'run',
      script,
      json: argv.json,
      baseDir,
      configFile: filepath,
    });
  },
};
