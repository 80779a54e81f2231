import type { Writable } from 'node:stream';
import type { CommandModule } from 'yargs';
import { PeerchatError } from '../../errors.js';
import { sanitize } from '../../sanitize.js';
import type { CliIo, GlobalArgs } from '../context.js';
import { loadForCommand, roomFilter } from '../context.js';

const FORMATS = ['jsonl', 'csv'] as const;
const FILE_MODE = 0o600; // history is private: the export file is readable by its owner only

interface ExportArgs extends GlobalArgs {
  format: (typeof FORMATS)[number];
  output?: string;
}

export const exportCommand: CommandModule<GlobalArgs, ExportArgs> = {
  command: 'export',
  describe: 'Write every stored message, oldest first, as JSON Lines or CSV (works while the peer runs)',
  builder: (y) =>
    y
      .option('format', {
        type: 'string',
        choices: FORMATS,
        demandOption: true,
        describe: 'jsonl: one JSON object per line; csv: RFC 4180 with a header row',
      })
      .option('output', {
        alias: 'o',
        type: 'string',
        describe: 'Write to this file (replaced atomically) instead of stdout',
      })
      .example('$0 export --format csv --output chat.csv', 'Everything as CSV in chat.csv')
      .example('$0 export --format jsonl --room team', 'What was said in the room team, as JSON Lines'),
  handler: async (argv) => {
    const { io } = argv.ctx;
    const format = argv.format;
    const output = argv.output === undefined ? undefined : String(argv.output);
    if (output !== undefined && output.trim() === '') {
      throw new PeerchatError('ERR_USAGE', '--output needs a file name');
    }
    const room = roomFilter(argv.room);
    const filter = room === undefined ? {} : { room };
    const { config } = await loadForCommand(argv, false);
    const { openStoreReadonly } = await import('../read-store.js');
    const { store, path, exists } = openStoreReadonly(config, 'export');
    let count: number | null;
    let where: string;
    try {
      if (output === undefined) {
        where = 'stdout';
        count = await toStdout(io, (out) => store.export(format, out, filter));
      } else {
        const { resolve } = await import('node:path');
        where = resolve(io.cwd, output);
        count = await toFile(where, (out) => store.export(format, out, filter));
      }
    } finally {
      await store.close();
    }
    if (count === null) {
      io.stderr.write('peerchat: export stopped: stdout was closed\n');
      return;
    }
    const hint = exists ? '' : ` (no messages stored yet: ${path} does not exist)`;
    io.stderr.write(`exported ${count} message${count === 1 ? '' : 's'} to ${where}${hint}\n`);
  },
};

type Exporter = (out: Writable) => Promise<number>;

/**
 * A Writable that never emits 'error': the first failure of `sink` is kept in `failed` and later
 * chunks are dropped, so the exporter finishes and the caller reports the failure once.
 */
async function sinkStream(
  sink: (chunk: string) => Promise<void>,
): Promise<{ out: Writable; failed(): unknown }> {
  const { Writable } = await import('node:stream');
  let failure: unknown = null;
  const out = new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (failure !== null) return cb();
      sink(chunk.toString('utf8')).then(
        () => cb(),
        (err: unknown) => {
          failure = err ?? new Error('write failed');
          cb();
        },
      );
    },
  });
  return { out, failed: () => failure };
}

type Target = CliIo['stdout'] & Partial<Pick<NodeJS.WritableStream, 'once' | 'on' | 'off'>>;

/** Streams into io.stdout, honouring its backpressure when it is a real stream. Null: the reader went away. */
async function toStdout(io: CliIo, run: Exporter): Promise<number | null> {
  const target = io.stdout as Target;
  // on a terminal, remote text must not act on it (ESC, BEL, 8-bit CSI): shown escaped, lines kept
  const tty = (io.stdout as { isTTY?: boolean }).isTTY === true;
  const shown = (chunk: string) => (tty ? chunk.split('\n').map(sanitize).join('\n') : chunk);
  let streamError: Error | null = null;
  const onError = (err: Error) => {
    streamError ??= err;
  };
  target.on?.('error', onError);
  try {
    const { out, failed } = await sinkStream(
      (chunk) =>
        new Promise<void>((resolve, reject) => {
          if (streamError) return reject(streamError);
          if (target.write(shown(chunk)) !== false || typeof target.once !== 'function') return resolve();
          const done = () => {
            target.off?.('drain', done);
            target.off?.('error', done);
            if (streamError) reject(streamError);
            else resolve();
          };
          target.once('drain', done);
          target.once('error', done);
        }),
    );
    const count = await run(out);
    const err = failed() ?? streamError;
    // a closed pipe (`peerchat export ... | head`) is the reader's choice, not a failure
    if ((err as NodeJS.ErrnoException | null)?.code === 'EPIPE') return null;
    if (err) {
      throw new PeerchatError('ERR_EXPORT_WRITE', `cannot write to stdout: ${(err as Error).message}`, {
        cause: err,
      });
    }
    return count;
  } finally {
    target.off?.('error', onError);
  }
}

const FILE_ERRORS: Record<string, string> = {
  ENOENT: 'its directory does not exist',
  ENOTDIR: 'a part of its path is not a directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the file system is read-only',
  ENOSPC: 'the disk is full',
  EISDIR: 'it is a directory',
};

/** Writes `<file>.<pid>.tmp`, flushes it to disk, then renames it over `file`: never a half-written file. */
async function toFile(file: string, run: Exporter): Promise<number> {
  const { open, rename, rm } = await import('node:fs/promises');
  const tmp = `${file}.${process.pid}.tmp`;
  let created = false;
  try {
    const fh = await open(tmp, 'wx', FILE_MODE);
    created = true;
    let count: number;
    try {
      const { out, failed } = await sinkStream(async (chunk) => {
        const buf = Buffer.from(chunk, 'utf8');
        for (let at = 0; at < buf.length; ) at += (await fh.write(buf, at)).bytesWritten;
      });
      count = await run(out);
      const err = failed();
      if (err) throw err;
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
    return count;
  } catch (err) {
    if (created) await rm(tmp, { force: true });
    if (err instanceof PeerchatError) throw err;
    // the reason names the file the user gave, not our temporary one (`open '<file>.<pid>.tmp'`)
    const e = err as NodeJS.ErrnoException;
    const reason = e.code && e.syscall ? `${FILE_ERRORS[e.code] ?? e.syscall} (${e.code})` : e.message;
    throw new PeerchatError('ERR_EXPORT_WRITE', `cannot write ${file}: ${reason}`, { cause: err });
  }
}
