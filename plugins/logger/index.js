// @ts-check
/**
 * logger: appends every chat message, in and out, to a file (JSONL or text), rotating by size.
 * Written against the package entry only, like any third-party plugin.
 */
import { appendFile, mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { definePlugin, z } from 'peerchat';

const DEFAULT_MAX_BYTES = 1024 * 1024;
const DEFAULT_MAX_FILES = 5;

/**
 * @typedef {object} LoggerOptions
 * @property {'jsonl' | 'text'} [format] Line format. Default 'jsonl'.
 * @property {string} [file] Log file; relative paths start at the config file's directory.
 *   Default `<stateDir>/messages.jsonl` (or `messages.log` for text).
 * @property {number} [maxBytes] Rotate once the file would grow beyond this. Default 1 MiB.
 * @property {number} [maxFiles] Rotated files kept (file.1 ... file.N). Default 5.
 */

/**
 * @param {import('peerchat').ChatMessage} msg
 * @param {'jsonl' | 'text'} format
 */
export function formatLine(msg, format) {
  if (format === 'jsonl') return `${JSON.stringify(msg)}\n`;
  const arrow = msg.direction === 'in' ? '<-' : '->';
  const who = msg.name ? `${msg.name} (${msg.from})` : msg.from;
  // one message, one line: embedded newlines would break tail/grep
  const text = msg.text.replace(/\r?\n/g, '\\n');
  return `${new Date(msg.ts).toISOString()} ${arrow} ${who}: ${text}\n`;
}

export default definePlugin({
  name: 'logger',
  // the LoggerOptions above, checked at load; setup gets them with their defaults
  options: z
    .object({
      format: z.enum(['jsonl', 'text']).default('jsonl'),
      file: z.string().min(1).optional(),
      maxBytes: z.number().int().min(1).default(DEFAULT_MAX_BYTES),
      maxFiles: z.number().int().min(0).default(DEFAULT_MAX_FILES),
    })
    .strict()
    .default({}),
  async setup(api, options) {
    const { format, maxBytes, maxFiles, file: fileOption } = options;
    const file = fileOption
      ? path.resolve(api.baseDir, fileOption)
      : path.join(api.stateDir, format === 'jsonl' ? 'messages.jsonl' : 'messages.log');
    await mkdir(path.dirname(file), { recursive: true });
    let size = await stat(file).then(
      (s) => s.size,
      () => 0,
    );
    // writes are chained so lines keep their order and rotation never races an append
    /** @type {Promise<void>} */
    let queue = Promise.resolve();

    async function rotate() {
      if (maxFiles === 0) {
        await rm(file, { force: true });
      } else {
        await rm(`${file}.${maxFiles}`, { force: true });
        for (let i = maxFiles - 1; i >= 1; i--) {
          await rename(`${file}.${i}`, `${file}.${i + 1}`).catch(() => {});
        }
        await rename(file, `${file}.1`);
      }
      size = 0;
    }

    /** @param {import('peerchat').ChatMessage} msg */
    function write(msg) {
      const line = formatLine(msg, format);
      const bytes = Buffer.byteLength(line);
      const next = queue.then(async () => {
        if (size > 0 && size + bytes > maxBytes) await rotate();
        await appendFile(file, line);
        size += bytes;
      });
      // a failed write is reported through the hook; the queue itself must go on
      queue = next.catch(() => {});
      return next;
    }

    api.addHelper('logFile', () => file);

    return {
      onMessage: (msg) => write(msg),
      onSent: (msg) => write(msg),
      onStop: () => queue,
    };
  },
});
