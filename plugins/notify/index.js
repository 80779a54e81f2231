// @ts-check
/**
 * notify: rings the terminal bell and/or prints a highlight when an incoming message mentions
 * your name or one of your keywords.
 */
import { definePlugin, z } from 'peerchat';

const BELL = '\x07';

/**
 * @typedef {object} NotifyOptions
 * @property {string[]} [keywords] Words that notify, besides your name. Case-insensitive, whole words.
 * @property {boolean} [mention] Notify when your own peer name is mentioned. Default true.
 * @property {'bell' | 'highlight' | 'both'} [mode] Default 'bell'.
 * @property {{ write(chunk: string): unknown }} [output] Where to write. Default process.stderr
 *   (stdout may carry --json output).
 * @property {boolean} [color] ANSI colors in highlights. Default: output.isTTY and no NO_COLOR.
 */

/** @param {string} s */
function escapeRegExp(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * A matcher for whole words, case-insensitive; returns the first word found, or null.
 * @param {string[]} words
 */
export function wordMatcher(words) {
  const clean = words.map((w) => w.trim()).filter(Boolean);
  if (clean.length === 0) return () => null;
  // \p{L}\p{N} instead of \b so names like "zoë" and "bob_2" are whole words too
  const re = new RegExp(
    `(?<![\\p{L}\\p{N}_])(${clean.map(escapeRegExp).join('|')})(?![\\p{L}\\p{N}_])`,
    'iu',
  );
  return /** @param {string} text */ (text) => re.exec(text)?.[1] ?? null;
}

export default definePlugin({
  name: 'notify',
  options: z
    .object({
      keywords: z.array(z.string()).optional(),
      mention: z.boolean().optional(),
      mode: z.enum(['bell', 'highlight', 'both']).optional(),
      output: z
        .custom((v) => typeof (/** @type {{ write?: unknown }} */ (v)?.write) === 'function', {
          message: 'an object with a write(chunk) method',
        })
        .optional(),
      color: z.boolean().optional(),
    })
    .strict()
    .optional(),
  /**
   * @param {import('peerchat').PluginApi<NotifyOptions | undefined>} api
   * @param {NotifyOptions | undefined} options
   */
  setup(api, options) {
    const o = options ?? {};
    const keywords = o.keywords ?? [];
    const mode = o.mode ?? 'bell';
    const output = o.output ?? process.stderr;
    const tty = /** @type {{ isTTY?: boolean }} */ (output).isTTY === true;
    const color = o.color ?? (tty && !process.env.NO_COLOR);
    const words = [...keywords];
    if (o.mention ?? true) words.push(api.name);
    const match = wordMatcher(words);

    return {
      onMessage(msg) {
        if (msg.direction !== 'in') return;
        const word = match(msg.text);
        if (word === null) return;
        let out = '';
        if (mode === 'bell' || mode === 'both') out += BELL;
        if (mode === 'highlight' || mode === 'both') {
          const line = `* ${msg.name ?? msg.from} mentioned "${word}": ${msg.text}`;
          out += color ? `\x1b[1;33m${line}\x1b[0m\n` : `${line}\n`;
        }
        output.write(out);
      },
    };
  },
});
