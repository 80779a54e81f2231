/**
 * Dot-commands as data: `{ help, action }`, so `.help` documents them and tests call `action` directly.
 * Built-ins come in groups (commands/*.ts); a new group is one module and one line in GROUPS.
 */

import { suggest } from '../config/suggest.js';
import type { Warning } from '../errors.js';
import type { OptionSpec } from './args.js';
import { HISTORY_ARGS, messageCommands } from './commands/messages.js';
import { peerCommands } from './commands/peers.js';
import { roomCommands } from './commands/rooms.js';
import { sessionCommands } from './commands/session.js';
import type { CommandIo, ReplCommand } from './commands/shared.js';
import { formatText } from './format.js';
import type { PeerGlobal } from './global.js';
import { groupRoomCommands } from './room-commands.js';

export { connectAllSummary } from './commands/peers.js';
export { formatMenu, MENU } from './commands/session.js';
export type { CommandIo, ReplCommand };
export { HISTORY_ARGS };

/** The built-in groups, in the order `.help` should read them. */
const GROUPS = [messageCommands, peerCommands, roomCommands, groupRoomCommands, sessionCommands] as const;

/** Node's repl defines these itself; nothing may replace them. */
export const REPL_BUILTINS: readonly string[] = ['break', 'clear', 'editor', 'exit', 'help', 'load', 'save'];

/** peerchat's own dot-commands. */
export const BUILTIN_COMMANDS: readonly string[] = GROUPS.flatMap((g) => g.names);

/** Every name a plugin command may not take (pass to the plugin host as reservedCommands). */
export const RESERVED_COMMANDS: readonly string[] = [...BUILTIN_COMMANDS, ...REPL_BUILTINS];

/** Options of each built-in dot-command (for completion). */
export const COMMAND_OPTIONS: Readonly<Record<string, Record<string, OptionSpec>>> = {
  history: HISTORY_ARGS.options ?? {},
};

/** ".send alice hi there" -> { name: 'send', args: 'alice hi there' }; null when not a dot-command. */
export function parseCommandLine(line: string): { name: string; args: string } | null {
  const m = /^\s*\.([A-Za-z][\w-]*)(?:\s+([\s\S]*))?$/.exec(line);
  if (!m) return null;
  return { name: m[1] ?? '', args: (m[2] ?? '').trim() };
}

/** `.sned is not a command (did you mean .send?); .help lists them` */
export function unknownCommandMessage(name: string, known: readonly string[]): string {
  const hint = suggest(name, known);
  return `.${name} is not a command${hint ? ` (did you mean .${hint}?)` : ''}; .help lists them`;
}

/** Told after an error from a line that reads like prose, not code (see isProse). */
export const SEND_HINT = 'to send text as a message: .send <target> <text>, or .chat <target> for chat mode';

/**
 * Whether evaluating `line` failed because someone typed prose: several words are a SyntaxError,
 * one word (`hello`) is a ReferenceError for a name nobody defined.
 */
export function isProse(err: unknown, line: string): boolean {
  const e = err as { name?: unknown; message?: unknown } | null;
  if (e?.name === 'SyntaxError') return looksLikeText(line);
  const word = line.trim();
  return (
    e?.name === 'ReferenceError' &&
    /^[\p{L}_$][\p{L}\p{N}_$]*$/u.test(word) &&
    e.message === `${word} is not defined`
  );
}

/** Words and sentence punctuation only (`hello there`, `ok, see you!`): someone meant to chat. */
export function looksLikeText(line: string): boolean {
  const t = line.trim();
  return /\s/.test(t) && !/[(){}[\]=;`"+*/<>]/.test(t) && !t.startsWith('.');
}

/** The built-in dot-commands over the `peer` global. */
export function builtinCommands(g: PeerGlobal, io: CommandIo): Record<string, ReplCommand> {
  return Object.assign({}, ...GROUPS.map((group) => group.build(g, io)));
}

/**
 * Built-ins plus plugin commands. A plugin command that clashes with a built-in or a repl
 * command is skipped with a warning rather than replacing it.
 */
export function buildCommands(
  g: PeerGlobal,
  io: CommandIo,
  plugin: ReadonlyMap<string, ReplCommand> = new Map(),
  onWarning: (w: Warning) => void = () => {},
): Map<string, ReplCommand> {
  const all = new Map<string, ReplCommand>(Object.entries(builtinCommands(g, io)));
  for (const [rawName, cmd] of plugin) {
    const name = rawName.replace(/^\./, '');
    if (all.has(name) || REPL_BUILTINS.includes(name)) {
      onWarning({
        code: 'ERR_PLUGIN_COMMAND_CLASH',
        message: `plugin command .${name} clashes with a built-in one`,
      });
      continue;
    }
    if (!/^[A-Za-z][\w-]*$/.test(name) || typeof cmd?.action !== 'function') {
      onWarning({ code: 'ERR_PLUGIN_LOAD', message: `plugin command ${JSON.stringify(rawName)} is invalid` });
      continue;
    }
    all.set(name, {
      help: String(cmd.help ?? ''),
      // docs/plugins.md: a string result is printed (built-ins print their own text)
      async action(args) {
        const value = await cmd.action(args);
        if (typeof value === 'string' && value !== '') io.print(formatText(value, ''));
        return value;
      },
    });
  }
  return all;
}
