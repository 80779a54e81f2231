/** The name prompt of a TTY start, worded like the original peer's. */
import { createInterface } from 'node:readline';
import { nameSchema } from '../config/schema.js';
import { PeerchatError } from '../errors.js';

export const NAME_PROMPT = 'Enter your name (without any space): ';

/** Asks until the answer is a valid name (no whitespace, 1-32 characters). End of input is ERR_USAGE. */
export async function promptForName(
  input: NodeJS.ReadableStream,
  output: { write(chunk: string): unknown },
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
      if (res.success) return res.data;
      output.write(`The name must be 1-32 characters without any space.\n`);
    }
  } finally {
    rl.close();
  }
}
