/** What every group of dot-commands shares: the command shape, the output, argument helpers. */
import { PeerchatError } from '../../errors.js';
import { parseCommandArgs } from '../args.js';
import type { Colors } from '../format.js';
import type { PeerGlobal } from '../global.js';

/** A dot-command. `action` gets the text after the command name (trimmed) and resolves to data. */
export interface ReplCommand {
  help: string;
  action(args: string): unknown;
}

export interface CommandIo {
  /** Human output (stdout, or stderr in --json mode). */
  print(text: string): void;
  colors: Colors;
}

/** A group of commands: its names (known without a peer, for completion and reserved names) and how to build them. */
export interface CommandGroup<N extends string> {
  readonly names: readonly N[];
  build(g: PeerGlobal, io: CommandIo): Record<N, ReplCommand>;
}

/** A group, checked: `build` makes exactly the commands `names` lists. */
export function group<const N extends string>(
  names: readonly N[],
  build: (g: PeerGlobal, io: CommandIo) => Record<N, ReplCommand>,
): CommandGroup<N> {
  return { names, build };
}

/** The words of a command that takes exactly `max` (or fewer) of them; `need` are required. */
export function words(args: string, usageText: string, need: number, max = need): string[] {
  const { positionals } = parseCommandArgs(args, { usage: usageText, maxPositionals: max });
  if (positionals.length < need) throw usage(usageText);
  return positionals;
}

export function usage(text: string): PeerchatError {
  return new PeerchatError('ERR_USAGE', `usage: ${text}`);
}

/** First word and the rest: `alice hi  there` -> ['alice', 'hi  there']. */
export function splitFirst(args: string): [string, string] {
  const trimmed = args.trim();
  // a quoted first word, as the other commands take it (`.send "carol" hi`); the rest stays verbatim
  const quoted = /^(["'])(.*?)\1(?:\s([\s\S]*))?$/.exec(trimmed);
  if (quoted) return [quoted[2] ?? '', quoted[3] ?? ''];
  const m = /^(\S+)(?:\s([\s\S]*))?$/.exec(trimmed);
  return [m?.[1] ?? '', m?.[2] ?? ''];
}

/** The history, outbox and room members: the peer's own, or what the host supplied through `extra`. */
export type Extras = Pick<PeerGlobal, 'history' | 'outbox' | 'retry' | 'drop' | 'join' | 'leave' | 'rooms'>;

export function extra<K extends keyof Extras>(g: PeerGlobal, name: K): Extras[K] {
  const fn = (g as unknown as Partial<Extras>)[name];
  if (typeof fn !== 'function')
    throw new PeerchatError('ERR_USAGE', `.${name} is not available in this peer`);
  return fn as Extras[K];
}
