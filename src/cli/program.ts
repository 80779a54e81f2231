/**
 * The yargs program: global options, the commands (src/cli/commands/), help examples and
 * usage errors with suggestions. Parsing only: no config is loaded and no peer is started here.
 */
import { createRequire } from 'node:module';
import type yargsFactory from 'yargs';
import type { Argv, CommandModule } from 'yargs';
import { suggest } from '../config/suggest.js';
import { PeerchatError } from '../errors.js';
import { VERSION } from '../version.js';
import { commands } from './commands/index.js';
import { type CliContext, type GlobalArgs, toList } from './context.js';

// yargs' ES module build wraps help text at a fixed column, cutting words in half; its CommonJS
// build wraps with wrap-ansi, at word boundaries
const yargs = createRequire(import.meta.url)('yargs') as typeof yargsFactory;

const LOG_LEVELS = ['error', 'warn', 'info', 'debug'];
const MAX_WIDTH = 120; // help text never gets wider than this
const DEFAULT_WIDTH = 100; // when stdout is not a terminal
const UNKNOWN_RE = /^Unknown arguments?: (.+)$/;

const EXAMPLES: [string, string][] = [
  ['$0 --name alice --port 5000', 'Start a peer on port 5000 with the REPL'],
  ['$0 --connect 192.168.1.20:5000 --connect 192.168.1.21:5000', 'Start and connect to two peers'],
  ['$0 send 192.168.1.20:5000 "hello there"', 'Send one message and exit'],
  ['$0 query 192.168.1.20:5000 --json', 'Print the peers a peer knows, as NDJSON'],
  ['$0 -e \'await peer.broadcast("hi")\'', 'Evaluate code with `peer` in scope'],
  ['echo \'await peer.connect("10.0.0.2:5000")\' | $0', 'Run piped lines in order'],
  ['$0 run ./bot.mjs', 'Run a script whose default export receives the peer'],
  ['$0 init --name alice', 'Write a starter .peerchatrc.json'],
  ['$0 completion >> ~/.bashrc', 'Install bash completion'],
];

const EPILOGUE = `Config files (first found from the working directory up to the home directory, then ~/.config/peerchat/config.*):
  package.json "peerchat" field, .peerchatrc, .peerchatrc.{json,yaml,yml,js,mjs,cjs}, peerchat.config.{js,mjs,cjs,json}
Precedence: flags > environment > config file > defaults.
Environment: PEERCHAT_NAME, PEERCHAT_HOST, PEERCHAT_PORT, PEERCHAT_DATA_DIR, PEERCHAT_CONFIG, PEERCHAT_LOG_LEVEL, PEERCHAT_CLASSIC, PEERCHAT_STORE, NO_COLOR.
Exit codes: 0 success, 1 runtime failure, 2 usage or config error.`;

/** Options every command takes: listed under their own heading, after a command's own. */
const GLOBAL_OPTIONS = [
  'name',
  'port',
  'host',
  'config',
  'connect',
  'plugin',
  'room',
  'data-dir',
  'json',
  'classic',
  'log-level',
  'color',
  'help',
  'version',
];

const COMMAND_NAMES = commands.map(
  (c) => String(Array.isArray(c.command) ? c.command[0] : c.command).split(' ')[0]!,
);

/** Builds the program. `ctx` is also passed as parse context, so handlers read it as `argv.ctx`. */
export function buildCli(ctx: CliContext): Argv<GlobalArgs> {
  const y: Argv<GlobalArgs> = yargs()
    .scriptName('peerchat')
    .usage(
      '$0 [command] [options]\n\nA peer-to-peer chat peer: classic protocol and encrypted native sessions.',
    )
    .parserConfiguration({ 'strip-aliased': true })
    .option('name', { type: 'string', describe: 'Display name (no spaces)' })
    .option('port', { type: 'string', describe: 'Port to listen on (0: any free port)' })
    .option('host', { type: 'string', describe: 'Address to listen on', defaultDescription: '0.0.0.0' })
    .option('config', { type: 'string', describe: 'Use this config file instead of searching for one' })
    .option('connect', {
      type: 'string',
      coerce: toList,
      describe: 'Connect to "ip:port" on start (repeatable)',
    })
    .option('plugin', {
      type: 'string',
      coerce: toList,
      describe: 'Load a plugin: package or path (repeatable)',
    })
    .option('room', { type: 'string', coerce: toList, describe: 'Join a DHT room on start (repeatable)' })
    .option('data-dir', { type: 'string', describe: 'Directory for keys, history and REPL history' })
    .option('json', { type: 'boolean', default: false, describe: 'Write only NDJSON events to stdout' })
    .option('classic', {
      type: 'boolean',
      describe: 'Accept plaintext classic peers (--no-classic refuses them)',
      defaultDescription: 'true',
    })
    .option('log-level', {
      type: 'string',
      choices: LOG_LEVELS,
      describe: 'How much to log',
      defaultDescription: 'info',
    })
    .option('color', {
      type: 'boolean',
      describe: 'Colour output (--no-color turns it off)',
      defaultDescription: 'auto',
    })
    .group([], 'Options:') // a command's own options, listed first
    .group(GLOBAL_OPTIONS, 'Global options:')
    .command((commands as unknown as CommandModule[]).map(ownOptionsFirst))
    // the completion command is ours (yargs' own clashes with strict mode); this only answers the script's queries
    .completion('__complete', false)
    .example(EXAMPLES)
    .epilogue(EPILOGUE)
    .strict()
    .recommendCommands()
    .help()
    .alias('help', 'h')
    .version(VERSION)
    .alias('version', 'v')
    .wrap(helpWidth(ctx))
    .exitProcess(false)
    .fail((msg, err) => {
      if (err) throw err;
      throw new PeerchatError('ERR_USAGE', explain(msg ?? 'invalid usage', y, ctx.args ?? []));
    }) as unknown as Argv<GlobalArgs>;
  ctx.yargs = y;
  return y;
}

/** The terminal's width (or $COLUMNS when stdout is no terminal), at most MAX_WIDTH. */
function helpWidth(ctx: CliContext): number {
  const tty = (ctx.io.stdout as { columns?: number }).columns;
  const env = Number.parseInt(ctx.io.env.COLUMNS ?? '', 10);
  const width = tty || (Number.isInteger(env) && env > 0 ? env : DEFAULT_WIDTH);
  return Math.min(MAX_WIDTH, width);
}

/**
 * A command's own options under "Options:" before the global ones: yargs lists the groups a
 * command defines before those it inherits, and ungrouped options last.
 */
function ownOptionsFirst(cmd: CommandModule): CommandModule {
  const builder = cmd.builder;
  if (typeof builder !== 'function') return cmd;
  return {
    ...cmd,
    builder: (y: Argv) => {
      const out = (builder(y) ?? y) as Argv & {
        getGroups(): Record<string, string[]>;
        getOptions(): { key: object; alias: Record<string, string[]> };
      };
      const grouped = new Set(Object.values(out.getGroups()).flat());
      const { key, alias } = out.getOptions();
      const aliases = new Set(Object.values(alias).flat());
      const own = Object.keys(key).filter(
        (k) => !grouped.has(k) && !aliases.has(k) && !GLOBAL_OPTIONS.includes(k) && k !== '__complete',
      );
      return own.length ? out.group(own, 'Options:') : out;
    },
  };
}

/** Turns yargs' "Unknown argument" into a message that suggests the command or option meant. */
function explain(msg: string, y: Argv, args: readonly string[]): string {
  const m = UNKNOWN_RE.exec(msg);
  const first = args.find((a) => !a.startsWith('-'));
  const help = `(see peerchat ${first && COMMAND_NAMES.includes(first) ? `${first} ` : ''}--help)`;
  if (!m) return `${msg} ${help}`;
  const names = m[1]!.split(', ');
  const options = Object.keys((y as unknown as { getOptions(): { key: object } }).getOptions().key).filter(
    (k) => k.length > 1 && !/[A-Z]/.test(k) && k !== '__complete',
  );
  const parts: string[] = [];
  for (const name of names) {
    const bare = name.replace(/^no-/, '');
    if (name.length > 1 && options.includes(bare)) continue;
    if (!args.includes(name)) {
      const hint = name.length > 1 ? suggest(bare, options) : null;
      parts.push(
        `unknown option ${name.length === 1 ? '-' : '--'}${name}${hint ? ` (did you mean --${hint}?)` : ''}`,
      );
    } else if (parts.length === 0) {
      const hint = suggest(name, COMMAND_NAMES);
      parts.push(
        hint ? `unknown command "${name}" (did you mean "${hint}"?)` : `unexpected argument "${name}"`,
      );
    }
  }
  return `${parts.length ? parts.join('; ') : msg} ${help}`;
}
