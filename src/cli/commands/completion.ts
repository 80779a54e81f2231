import type { CommandModule } from 'yargs';
import type { GlobalArgs } from '../context.js';

export const completionCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'completion',
  describe: 'Print a bash completion script (peerchat completion >> ~/.bashrc)',
  handler: (argv) => {
    // yargs writes the script into the parse output, which main prints on stdout
    const y = argv.ctx.yargs as unknown as
      | { showCompletionScript($0: string, cmd: string): void }
      | undefined;
    y?.showCompletionScript('peerchat', 'completion');
  },
};
