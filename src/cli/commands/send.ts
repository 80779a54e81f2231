import { isIP } from 'node:net';
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
    checkTarget(String(argv.target));
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
export function checkTarget(target: string): void {
  const t = target.trim();
  const bare = t.replace(/^\[(.*)\]$/, '$1');
  if (isIP(bare) !== 0) {
    const example = isIP(bare) === 6 ? `[${bare}]:5000` : `${bare}:5000`;
    throw new PeerchatError('ERR_USAGE', `${JSON.stringify(t)} has no port: give "ip:port", e.g. ${example}`);
  }
  const colon = t.lastIndexOf(':');
  if (colon <= 0) return;
  const host = t.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  const port = t.slice(colon + 1);
  const validPort = /^\d{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65535;
  // "bob:2" may be a peer's name: only an IP before the colon makes it an address
  if (isIP(host) !== 0 && !validPort) {
    throw new PeerchatError('ERR_USAGE', `${JSON.stringify(t)}: the port must be a number from 1 to 65535`);
  }
}
