import type { CommandModule } from 'yargs';
import type { GlobalArgs } from '../context.js';
import { loadForCommand, printResult } from '../context.js';

export const idCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'id',
  describe: 'Print this peer’s public key and fingerprint (created on first use)',
  handler: async (argv) => {
    const { config } = await loadForCommand(argv, false);
    // imported here only: other commands never load the native layer for this
    const { loadIdentity } = await import('../../net/native/identity.js');
    const identity = await loadIdentity(config.dataDir);
    printResult(
      argv,
      { id: identity.id, fingerprint: identity.fingerprint, dataDir: config.dataDir },
      `public key:  ${identity.id}\nfingerprint: ${identity.fingerprint}\n`,
    );
  },
};
