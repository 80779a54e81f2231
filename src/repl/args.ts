/**
 * Arguments of dot-commands: words split like a shell does (quotes keep spaces), then options
 * and positionals read by node:util's parseArgs. `.history gina 3 --search "lunch plans"`.
 */
import { parseArgs } from 'node:util';
import { PeerchatError } from '../errors.js';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  describe?: string;
}

export interface ArgsSpec {
  /** `.history [target] [limit]`: shown when the arguments do not fit. */
  usage: string;
  options?: Record<string, OptionSpec>;
  /** At most this many positionals. @default no limit */
  maxPositionals?: number;
}

export interface ParsedArgs {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/** `a "b c" 'd'` -> ['a', 'b c', 'd']; a backslash escapes the next character outside single quotes. */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quote) {
      if (ch === quote) quote = null;
      else if (ch === '\\' && quote === '"' && i + 1 < text.length) word += text[++i] as string;
      else word += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      word ??= '';
    } else if (ch === '\\' && i + 1 < text.length) {
      word = (word ?? '') + text[++i];
    } else if (/\s/.test(ch)) {
      if (word !== null) words.push(word);
      word = null;
    } else word = (word ?? '') + ch;
  }
  if (quote) throw new PeerchatError('ERR_USAGE', `unterminated ${quote} in the arguments`);
  if (word !== null) words.push(word);
  return words;
}

/** Parse the text after a dot-command; a mistake is an ERR_USAGE naming the usage. */
export function parseCommandArgs(text: string, spec: ArgsSpec): ParsedArgs {
  let parsed: ParsedArgs;
  try {
    const { values, positionals } = parseArgs({
      args: splitWords(text),
      options: spec.options ?? {},
      allowPositionals: true,
      strict: true,
    });
    parsed = { values: values as ParsedArgs['values'], positionals };
  } catch (err) {
    if (err instanceof PeerchatError) throw err;
    const why =
      err instanceof Error ? err.message.replace(/\. To specify a positional[\s\S]*$/, '') : String(err);
    throw new PeerchatError('ERR_USAGE', `${why} (usage: ${spec.usage})`, { cause: err });
  }
  if (spec.maxPositionals !== undefined && parsed.positionals.length > spec.maxPositionals) {
    throw new PeerchatError('ERR_USAGE', `too many arguments (usage: ${spec.usage})`);
  }
  return parsed;
}

/** A whole number of 1 or more, or an ERR_USAGE. */
export function positiveInt(value: string, what: string): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new PeerchatError(
      'ERR_USAGE',
      `${what} must be a whole number of 1 or more, not ${JSON.stringify(value)}`,
    );
  }
  return n;
}
