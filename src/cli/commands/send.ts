import type { CommandModule } from 'yargs';
import type { GlobalArgs } from '../context.js';
import { loadForCommand, peerRunner } from '../context.js';

interface SendArgs extends GlobalArgs {
  target: string;
  text: string[];
}

export const sendCommand: CommandModule<GlobalArgs, SendArgs> = {
  command: 'send <target> <text..>',
  describe: 'Connect, send one message, wait for delivery and exit',
  builder: (y) =>
    y
      .positional('target', { type: 'string', demandOption: true, describe: '"ip:port" of the peer' })
      .positional('text', { type: 'string', array: true, demandOption: true, describe: 'The message' }),
  handler: async (argv) => {
    const { config } = await loadForCommand(argv, true);
    const runPeer = await peerRunner(argv.ctx);
    const text = argv.text.map(String).join(' ');
    argv.ctx.exitCode = await runPeer(config, {
      kind: 'send',
      target: String(argv.target),
      text,
      json: argv.json,
    });
  },
};
