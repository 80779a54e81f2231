import type { CommandModule } from 'yargs';
import type { GlobalArgs } from '../context.js';
import { loadForCommand } from '../context.js';

interface ContactsArgs extends GlobalArgs {
  target?: string;
}

export const contactsCommand: CommandModule<GlobalArgs, ContactsArgs> = {
  command: 'contacts [target]',
  describe:
    'List the contact book: every peer met, its key, name, last addresses (works while the peer runs)',
  builder: (y) =>
    y
      .positional('target', {
        type: 'string',
        describe: 'Only the contacts a name, address or fingerprint prefix names',
      })
      .example('$0 contacts', 'Everyone met, the most recently seen first')
      .example('$0 contacts carol --json', 'What is known about carol, as NDJSON')
      .epilogue(
        '--json: one NDJSON line per contact, {"type":"contact","key","fingerprint","name","addresses",' +
          '"firstSeen","lastSeen","met"}; key and fingerprint are null for a classic peer.',
      ),
  handler: async (argv) => {
    const { io } = argv.ctx;
    const { config } = await loadForCommand(argv, false);
    const { openStoreReadonly, noStoreHint, tolerateClosedStdout } = await import('../read-store.js');
    const { matchContacts } = await import('../../store/contacts.js');
    const { store, path, exists } = openStoreReadonly(config, 'contacts');
    let list: ReturnType<typeof store.contacts>;
    try {
      if (!exists) {
        io.stderr.write(noStoreHint(path));
        return;
      }
      list = store.contacts();
    } finally {
      await store.close();
    }
    if (argv.target !== undefined) list = matchContacts(list, String(argv.target));
    tolerateClosedStdout(io);
    if (argv.json) {
      io.stdout.write(list.map((k) => `${JSON.stringify({ type: 'contact', ...k })}\n`).join(''));
    } else if (list.length > 0) {
      const { createColors, formatContacts } = await import('../../repl/format.js');
      io.stdout.write(`${formatContacts(list, createColors(false))}\n`);
    }
    if (list.length === 0) {
      io.stderr.write(
        argv.target === undefined
          ? 'peerchat: no contacts yet\n'
          : `peerchat: no contact matches "${argv.target}"\n`,
      );
    }
  },
};
