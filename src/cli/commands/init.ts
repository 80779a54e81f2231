import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CommandModule } from 'yargs';
import { PeerchatError } from '../../errors.js';
import type { GlobalArgs } from '../context.js';
import { flagsFrom, printResult } from '../context.js';

export const INIT_FILE = '.peerchatrc.json';

interface InitArgs extends GlobalArgs {
  force: boolean;
}

export const initCommand: CommandModule<GlobalArgs, InitArgs> = {
  command: 'init',
  describe: `Write a starter config file (${INIT_FILE}) in the current directory`,
  builder: (y) =>
    y.option('force', { type: 'boolean', default: false, describe: 'Overwrite an existing file' }),
  handler: async (argv) => {
    const { io } = argv.ctx;
    const { configSchema } = await import('../../config/schema.js');
    const { osUserName } = await import('../../config/load.js');
    const { expectedErrorMap, describeIssues } = await import('../../config/issues.js');
    // the keys people edit first; flags given to init are written too
    const flags = flagsFrom(argv);
    const starter = {
      name: flags.name ?? osUserName(io.env),
      port: 0,
      autoConnect: [],
      plugins: [],
      rooms: [],
      ...flags,
    };
    const res = configSchema.safeParse(starter, { errorMap: expectedErrorMap });
    if (!res.success) {
      const lines = describeIssues(res.error.issues, starter, configSchema, (p) => `--${String(p[0])}`);
      throw new PeerchatError('ERR_USAGE', `command line: ${lines.join('; ')}`);
    }
    const file = path.join(io.cwd, INIT_FILE);
    try {
      await writeFile(file, `${JSON.stringify(starter, null, 2)}\n`, { flag: argv.force ? 'w' : 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new PeerchatError('ERR_USAGE', `${file} already exists (use --force to overwrite it)`, {
          cause: err,
        });
      }
      throw new PeerchatError('ERR_CONFIG_INVALID', `cannot write ${file}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    printResult(argv, { path: file }, `wrote ${file}\nEvery key and its default: config.example.json`);
  },
};
