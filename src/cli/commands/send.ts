import type { CommandModule } from 'yargs';
import { PeerchatError } from '../../errors.js';
import type { GlobalArgs } from '../context.js';
import { loadForCommand, peerRunner } from '../context.js';

interface SendArgs extends GlobalArgs {
  target: string;
  text: string[];
}

export const sendCommand: CommandModule<GlobalArgs, SendArgs> = {
  command: 'send <target> <text..>',
  describe:
    'Connect, send one message, wait for delivery and exit (stored in the history when no peer runs on the data directory)',
  builder: (y) =>
    y
      .positional('target', { type: 'string', demandOption: true, describe: '"ip:port" of the peer' })
      .positional('text', { type: 'string', array: true, demandOption: true, describe: 'The message' }),
  handler: async (argv) => {
    await checkTarget(String(argv.target));
    const { config } = await loadForCommand(argv, true);
    const runPeer = await peerRunner(argv.ctx);
    const text = argv.text.map(String).join(' ');
    // --port is where this one-shot listens (its replies and the receiver's view of it); default any
    const port = argv.port === undefined ? undefined : config.port;
    argv.ctx.exitCode = await runPeer(config, {
      kind: 'send',
      target: String(argv.target),
      text,
      json: argv.json,
      port,
    });
  },
};

/**
 * An address typed without its port, or with a bad one, is a usage mistake (exit 2), not an
 * unknown peer. Names are left to the peer.
 */
export async function checkTarget(target: string): Promise<void> {
  // imported here: every command loads this module, and only send and query need the network code
  const { addressProblem } = await import('../../net/address.js');
  const problem = addressProblem(target);
  if (problem) throw new PeerchatError('ERR_USAGE', problem);
}
