import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CommandModule } from 'yargs';
import { PeerchatError } from '../../errors.js';
import type { GlobalArgs } from '../context.js';
import { printResult } from '../context.js';

interface NewArgs extends GlobalArgs {
  name: string;
  dir?: string;
}

const newCommand: CommandModule<GlobalArgs, NewArgs> = {
  command: 'new <name>',
  describe: 'Write a new plugin package: index.js, README.md, package.json and a passing test',
  builder: (y) =>
    y
      .positional('name', {
        type: 'string',
        demandOption: true,
        describe: 'Plugin name (lower case, digits, -); the package is peerchat-plugin-<name>',
      })
      .option('dir', { type: 'string', describe: 'Directory to write [default: ./peerchat-plugin-<name>]' })
      .example(
        '$0 plugin new greeter',
        'Write ./peerchat-plugin-greeter; then npm install && npm test there',
      ),
  handler: async (argv) => {
    const { io } = argv.ctx;
    const { scaffoldFiles, scaffoldNames } = await import('../scaffold/plugin.js');
    const names = scaffoldNames(String(argv.name));
    if (!names) {
      throw new PeerchatError(
        'ERR_USAGE',
        `not a plugin name: ${JSON.stringify(String(argv.name))} (lower-case letters, digits and -, e.g. greeter)`,
      );
    }
    const dir = path.resolve(io.cwd, argv.dir ?? names.pkg);
    const existing = await readdir(dir).catch(() => null);
    if (existing && existing.length > 0) {
      throw new PeerchatError('ERR_USAGE', `${dir} exists and is not empty (choose another --dir)`);
    }
    const files = scaffoldFiles(names);
    for (const [file, contents] of Object.entries(files)) {
      const target = path.join(dir, file);
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(target, contents, { flag: 'wx' });
    }
    printResult(
      argv,
      { path: dir, package: names.pkg, plugin: names.plugin, files: Object.keys(files) },
      `wrote ${dir}\n  ${Object.keys(files).join('\n  ')}\nnext: cd ${path.relative(io.cwd, dir) || '.'} && npm install && npm test`,
    );
  },
};

export const pluginCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'plugin <command>',
  describe: 'Plugin authoring: `plugin new <name>` scaffolds a plugin package',
  builder: (y) => y.command(newCommand as unknown as CommandModule<GlobalArgs, GlobalArgs>),
  // reached only when no subcommand matched (`plugin bogus`)
  handler: (argv) => {
    const name = String((argv as { command?: unknown }).command ?? '');
    throw new PeerchatError('ERR_USAGE', `unknown command "plugin ${name}"; try: peerchat plugin new <name>`);
  },
};
