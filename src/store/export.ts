/** Export formats: JSON Lines and CSV (RFC 4180, formula triggers neutralised). */
import type { StoredMessage } from './rows.js';

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
  if (format === 'jsonl') return `${JSON.stringify(r)}\n`;
  return `${COLUMNS.map((c) => csvField(r[c])).join(',')}\r\n`;
}
