/** Export: JSON Lines and CSV (RFC 4180, formula triggers neutralised), paged so writes run between pages. */
import type { Writable } from 'node:stream';
import { PeerchatError } from '../errors.js';
import type { Reader } from './reader.js';
import { type Row, type StoredMessage, toMessage } from './rows.js';

export type ExportFormat = 'jsonl' | 'csv';

const COLUMNS = [
  'id',
  'direction',
  'peer',
  'key',
  'fingerprint',
  'name',
  'text',
  'ts',
  'protocol',
  'verified',
  'state',
  'error',
  'created_at',
  // the names `history --json` and the `peer` global use (docs/storage.md); created_at is kept for old scripts
  'createdAt',
  'updatedAt',
] as const;

function record(m: StoredMessage): Record<(typeof COLUMNS)[number], string | number | boolean | null> {
  return {
    id: m.id,
    direction: m.direction,
    peer: m.from,
    key: m.key,
    fingerprint: m.fingerprint,
    name: m.name,
    text: m.text,
    ts: m.ts,
    protocol: m.protocol,
    verified: m.verified,
    state: m.state,
    error: m.error,
    created_at: m.createdAt,
    createdAt: m.createdAt,
    updatedAt: m.updatedAt,
  };
}

/** A spreadsheet takes a cell starting with one of these as a formula (OWASP "CSV Injection"). */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * A CSV field: quoted when it holds a comma, quote, CR or LF; quotes doubled. Null is empty.
 * A text starting with = + - @ tab or CR gets a leading single quote and is quoted, so a
 * spreadsheet shows it instead of evaluating it; the value stays readable behind the quote.
 */
export function csvField(value: string | number | boolean | null): string {
  if (value === null) return '';
  let s = String(value);
  const formula = typeof value === 'string' && FORMULA_START.test(s);
  if (formula) s = `'${s}`;
  return formula || /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export function header(format: ExportFormat): string {
  return format === 'csv' ? `${COLUMNS.join(',')}\r\n` : '';
}

export function formatRow(format: ExportFormat, m: StoredMessage): string {
  const r = record(m);
  // a group room message also names its room (JSON Lines only: the CSV columns stay as they were)
  if (format === 'jsonl') return `${JSON.stringify(m.room === undefined ? r : { ...r, room: m.room })}\n`;
  return `${COLUMNS.map((c) => csvField(r[c])).join(',')}\r\n`;
}

const EXPORT_PAGE = 500; // rows read per query while exporting (writes may run between pages)

/** Write every message (oldest first) to `out` without ending it. Resolves the number written. */
export async function exportMessages(
  reader: Reader,
  format: ExportFormat,
  out: Writable,
  opts: { peer?: string; room?: string } = {},
): Promise<number> {
  reader.assertOpen();
  if (format !== 'jsonl' && format !== 'csv') {
    throw new PeerchatError('ERR_USAGE', `unknown export format "${String(format)}" (jsonl or csv)`);
  }
  await writeOut(out, header(format));
  let last = 0;
  let count = 0;
  const peer = opts.peer === undefined ? '' : 'AND (peer_address = @peer OR peer_key = @peer)';
  const room = opts.room === undefined ? '' : 'AND room = @room';
  const sql = `SELECT * FROM messages WHERE seq > @last ${peer} ${room} ORDER BY seq LIMIT ${EXPORT_PAGE}`;
  const filter = {
    ...(opts.peer === undefined ? {} : { peer: opts.peer }),
    ...(opts.room === undefined ? {} : { room: opts.room }),
  };
  for (;;) {
    const rows = reader.all<Row>(sql, { last, ...filter });
    if (rows.length === 0) return count;
    await writeOut(out, rows.map((r) => formatRow(format, toMessage(r))).join(''));
    count += rows.length;
    last = rows[rows.length - 1]!.seq;
  }
}

/** Write a chunk, waiting for 'drain' when the stream asks for it. */
function writeOut(out: Writable, chunk: string): Promise<void> {
  if (chunk === '') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    out.once('error', onError);
    const ok = out.write(chunk, () => {});
    const done = () => {
      out.off('error', onError);
      resolve();
    };
    if (ok) done();
    else out.once('drain', done);
  });
}
