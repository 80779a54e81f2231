import type { CommandModule } from 'yargs';
import type { Identity } from '../../types.js';
import type { GlobalArgs } from '../context.js';
import { loadForCommand, printResult } from '../context.js';

/** The identity module (src/net/native/identity.ts), imported only by this command. */
interface IdentityModule {
  loadIdentity(dataDir: string): Promise<Identity>;
}
// a variable specifier keeps tsc from resolving it, so the CLI builds before the native layer lands
const IDENTITY_MODULE = '../../net/native/identity.js';

export const idCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'id',
  describe: 'Print this peer’s public key and fingerprint (created on first use)',
  handler: async (argv) => {
    const { config } = await loadForCommand(argv, false);
    const { loadIdentity } = (await import(IDENTITY_MODULE)) as IdentityModule;
    const identity = await loadIdentity(config.dataDir);
    printResult(
      argv,
      { id: identity.id, fingerprint: identity.fingerprint, dataDir: config.dataDir },
      `public key:  ${identity.id}\nfingerprint: ${identity.fingerprint}\n`,
    );
  },
};
