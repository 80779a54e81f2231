/** The name prompt of a TTY start, worded like the original peer's; it offers to remember the name. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { nameSchema } from '../config/schema.js';
import { PeerchatError } from '../errors.js';

export const NAME_PROMPT = 'Enter your name (without any space): ';

/** Asks until the answer is a valid name (no whitespace, 1-32 characters). End of input is ERR_USAGE. */
export async function promptForName(
  input: NodeJS.ReadableStream,
  output: { write(chunk: string): unknown },
  /** The user config file (`~/.config/peerchat/config.json`) to offer saving the name to. */
  saveTo?: string,
): Promise<string> {
  // no output stream: readline would echo what a TTY already echoes
  const rl = createInterface({ input, terminal: false });
  const lines = rl[Symbol.asyncIterator]();
  try {
    for (;;) {
      output.write(NAME_PROMPT);
      const next = await lines.next();
      if (next.done) throw new PeerchatError('ERR_USAGE', 'no name was entered');
      const name = String(next.value).trim();
      const res = nameSchema.safeParse(name);
      if (res.success) {
        if (saveTo) {
          output.write(`Remember "${res.data}" in ${saveTo}? [Y/n] `);
          const answer = await lines.next();
          if (!answer.done && !/^\s*n/i.test(String(answer.value)))
            output.write(`${saveName(saveTo, res.data)}\n`);
        }
        return res.data;
      }
      output.write(`The name must be 1-32 characters without any space.\n`);
    }
  } finally {
    rl.close();
  }
}

/** Put `name` into the JSON user config (created 0600 if missing, other keys kept); says what it did. */
export function saveName(file: string, name: string): string {
  try {
    let config: Record<string, unknown> = {};
    if (existsSync(file)) {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as unknown;
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
        throw new Error('not a JSON object');
      config = parsed as Record<string, unknown>;
    }
    config.name = name;
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
    return `Saved: peerchat will use the name "${name}" from now on.`;
  } catch (err) {
    return `Not saved (${err instanceof Error ? err.message : String(err)}): add "name": "${name}" to ${file} yourself.`;
  }
}
