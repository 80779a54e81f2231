/** The author keys a room log knows, kept in `<room dir>/authors.json` so a restart reopens them. */
import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

const AUTHORS_FILE = 'authors.json';

export class AuthorsFile {
  private readonly file: string;
  /** Settles once the last save is written (or failed). */
  saved: Promise<void> = Promise.resolve();

  constructor(
    dir: string,
    private readonly failed: (err: unknown) => void,
  ) {
    this.file = path.join(dir, AUTHORS_FILE);
  }

  /** The keys saved (hex, checked); none when there is no file yet. */
  async read(): Promise<string[]> {
    try {
      const raw: unknown = JSON.parse(await readFile(this.file, 'utf8'));
      if (!Array.isArray(raw)) return [];
      return raw.filter((k): k is string => typeof k === 'string' && /^[0-9a-f]{64}$/.test(k));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  /** Writes atomically; writes are chained so the newest list wins. */
  save(keys: string[]): void {
    this.saved = this.saved
      .then(async () => {
        await writeFile(`${this.file}.tmp`, JSON.stringify(keys));
        await rename(`${this.file}.tmp`, this.file);
      })
      .catch((err) => this.failed(err));
  }
}
