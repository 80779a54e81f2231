import type { CommandModule } from 'yargs';
import { PeerchatError } from '../../errors.js';
import type { GlobalArgs } from '../context.js';
import { loadForCommand, peerRunner } from '../context.js';

interface StartArgs extends GlobalArgs {
  eval?: string;
  headless: boolean;
  waitConnected?: number;
}

export const startCommand: CommandModule<GlobalArgs, StartArgs> = {
  command: ['start', '$0'],
  describe: 'Start the peer with the interactive REPL (the default command)',
  builder: (y) =>
    y
      .option('eval', {
        alias: 'e',
        type: 'string',
        describe: 'Evaluate code with `peer` in scope, then exit',
      })
      .option('wait-connected', {
        type: 'number',
        describe: 'Wait up to <ms> for the autoConnect peers before running code',
      })
      .option('headless', {
        type: 'boolean',
        default: false,
        describe:
          'No REPL: print messages and events (NDJSON with --json) until SIGTERM/SIGINT, then send EXIT and exit 0. ' +
          'Also the mode when stdin is /dev/null (< /dev/null, systemd, nohup)',
      }),
  handler: async (argv) => {
    if (argv.headless && argv.eval !== undefined) {
      throw new PeerchatError(
        'ERR_USAGE',
        '--headless runs no code: drop --eval, or use --eval without --headless',
      );
    }
    const { config, baseDir, filepath } = await loadForCommand(argv, true);
    const runPeer = await peerRunner(argv.ctx);
    argv.ctx.exitCode = await runPeer(config, {
      kind: 'start',
      json: argv.json,
      eval: argv.eval,
      headless: argv.headless,
      waitConnected: waitMs(argv.waitConnected),
      baseDir,
      configFile: filepath,
    });
  },
};

/** --wait-connected: a whole number of ms, 0 or more; undefined when not given. */
export function waitMs(value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 0) {
    throw new PeerchatError(
      'ERR_USAGE',
      `--wait-connected takes milliseconds (a whole number, 0 or more)${Number.isNaN(value) ? '; what was given is not a number' : `, not ${value}`}`,
    );
  }
  return value;
}
