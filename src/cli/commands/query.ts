import type { CommandModule } from 'yargs';
import type { GlobalArgs } from '../context.js';
import { loadForCommand, peerRunner } from '../context.js';
import { checkTarget } from './send.js';

interface QueryArgs extends GlobalArgs {
  target: string;
}

export const queryCommand: CommandModule<GlobalArgs, QueryArgs> = {
  command: 'query <target>',
  describe: 'Connect, ask a peer for the peers it knows, print them and exit',
  builder: (y) =>
    y.positional('target', { type: 'string', demandOption: true, describe: '"ip:port" of the peer' }),
  handler: async (argv) => {
    await checkTarget(String(argv.target));
    const { config } = await loadForCommand(argv, true);
    const runPeer = await peerRunner(argv.ctx);
    argv.ctx.exitCode = await runPeer(config, {
      kind: 'query',
      target: String(argv.target),
      json: argv.json,
    });
  },
};
