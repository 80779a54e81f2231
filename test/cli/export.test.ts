import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import t from 'tap';
import { newId, Store } from '../../src/store/store.js';
import type { ChatMessage } from '../../src/types.js';
import { runCli, sandbox } from './run-cli.js';

const fresh = sandbox(t);
const KEY = randomBytes(32).toString('hex');

function message(i: number, over: Partial<ChatMessage> = {}): ChatMessage {
  return {
    id: newId(),
    from: '127.0.0.1:5001',
    name: 'alice',
    text: `message ${i}, with "quotes"`,
    protocol: 'native',
    verified: true,
    key: KEY,
    fingerprint: null,
    ts: Date.now(),
    direction: 'in',
    ...over,
  };
}

/** A data directory holding `n` incoming messages and one outgoing classic one; resolves the ids in order. */
async function seed(n: number): Promise<{ dir: string; ids: string[] }> {
  const dir = fresh();
  const store = Store.open({ dataDir: dir });
  const ids: string[] = [];
  try {
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < n; i++) {
      const m = message(i);
      ids.push(m.id);
      writes.push(store.recordIncoming(m));
    }
    await Promise.all(writes);
    const outgoing = message(n, {
      direction: 'out',
      from: '127.0.0.1:5002',
      name: 'bob',
      text: 'line one\nline two, comma',
      protocol: 'classic',
      verified: false,
      key: null,
    });
    await store.enqueue(outgoing, null);
    await store.markSent(outgoing.id);
    ids.push(outgoing.id);
  } finally {
    await store.close();
  }
  return { dir, ids };
}

/** What the store itself writes, to compare the command's output with. */
async function direct(dir: string, format: 'jsonl' | 'csv'): Promise<string> {
  const store = Store.open({ dataDir: dir, readonly: true });
  const sink = new PassThrough();
  let text = '';
  sink.on('data', (d: Buffer) => {
    text += d.toString();
  });
  try {
    await store.export(format, sink);
  } finally {
    await store.close();
  }
  return text;
}

t.test('jsonl to stdout, summary on stderr', async (t) => {
  const { dir, ids } = await seed(3);
  const r = await runCli(['export', '--format', 'jsonl'], { cwd: fresh(), dataDir: dir });
  t.equal(r.code, 0, r.stderr);
  const rows = r.stdout
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as { id: string; direction: string; state: string });
  t.same(
    rows.map((x) => x.id),
    ids,
  );
  t.match(rows[3], { direction: 'out', state: 'sent' });
  t.equal(r.stdout, await direct(dir, 'jsonl'));
  t.equal(r.stderr, 'exported 4 messages to stdout\n');
});

t.test('csv to a file (relative to the working directory), replacing it atomically', async (t) => {
  const { dir } = await seed(2);
  const cwd = fresh();
  const file = path.join(cwd, 'chat.csv');
  writeFileSync(file, 'old contents\n');
  const r = await runCli(['export', '--format', 'csv', '--output', 'chat.csv'], { cwd, dataDir: dir });
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout, '', 'nothing on stdout when writing a file');
  t.equal(r.stderr, `exported 3 messages to ${file}\n`);
  const text = readFileSync(file, 'utf8');
  t.equal(text, await direct(dir, 'csv'));
  t.match(text, /^id,direction,peer,/);
  t.match(text, /"line one\nline two, comma"/, 'fields with newlines and commas are quoted');
  t.equal(text.trimEnd().split('\r\n').length, 4, 'a header and three records');
  t.same(readdirSync(cwd), ['chat.csv'], 'no temporary file is left behind');
  t.equal(statSync(file).mode & 0o777, 0o600, 'private to its owner');
  const o = await runCli(['export', '--format', 'jsonl', '-o', file], { cwd, dataDir: dir });
  t.equal(o.code, 0, o.stderr);
  t.equal(readFileSync(file, 'utf8'), await direct(dir, 'jsonl'), '-o replaces the file');
});

t.test('a bad or missing --format exits 2', async (t) => {
  const { dir } = await seed(1);
  const bad = await runCli(['export', '--format', 'xml'], { cwd: fresh(), dataDir: dir });
  t.equal(bad.code, 2);
  t.equal(bad.stdout, '');
  t.match(bad.stderr, /xml/);
  t.match(bad.stderr, /jsonl/);
  t.match(bad.stderr, /ERR_USAGE/);
  const missing = await runCli(['export'], { cwd: fresh(), dataDir: dir });
  t.equal(missing.code, 2);
  t.match(missing.stderr, /format/);
  const json = await runCli(['export', '--format', 'yaml', '--json'], { cwd: fresh(), dataDir: dir });
  t.equal(json.code, 2);
  t.match(JSON.parse(json.stdout), { type: 'error', code: 'ERR_USAGE' });
  const empty = await runCli(['export', '--format', 'csv', '--output', ''], { cwd: fresh(), dataDir: dir });
  t.equal(empty.code, 2);
  t.match(empty.stderr, /--output/);
});

t.test('an output that cannot be written: exit 1, no temporary file left', async (t) => {
  const { dir } = await seed(1);
  const cwd = fresh();
  const r = await runCli(['export', '--format', 'csv', '--output', 'missing/dir/out.csv'], {
    cwd,
    dataDir: dir,
  });
  t.equal(r.code, 1);
  t.match(r.stderr, /ERR_EXPORT_WRITE/);
  t.equal(
    r.stderr,
    `peerchat: cannot write ${path.join(cwd, 'missing/dir/out.csv')}: its directory does not exist (ENOENT) (ERR_EXPORT_WRITE)\n`,
    'the reason names the file given, not the temporary one',
  );
  mkdirSync(path.join(cwd, 'taken'));
  const d = await runCli(['export', '--format', 'csv', '--output', 'taken'], { cwd, dataDir: dir });
  t.equal(d.code, 1, 'a directory in the way');
  t.match(d.stderr, /ERR_EXPORT_WRITE/);
  t.same(readdirSync(cwd), ['taken']);
  t.same(readdirSync(path.join(cwd, 'taken')), []);
});

t.test('no store file yet: zero messages and a hint', async (t) => {
  const dataDir = path.join(fresh(), 'none');
  const r = await runCli(['export', '--format', 'csv'], { cwd: fresh(), dataDir });
  t.equal(r.code, 0, r.stderr);
  t.equal(
    r.stdout,
    'id,direction,peer,key,fingerprint,name,text,ts,protocol,verified,state,error,created_at,createdAt,updatedAt\r\n',
  );
  t.match(
    r.stderr,
    /^exported 0 messages to stdout \(no messages stored yet: .*peerchat\.db does not exist\)\n$/,
  );
});

t.test('store: false gives a clear usage error', async (t) => {
  const { dir } = await seed(1);
  const r = await runCli(['export', '--format', 'jsonl'], {
    cwd: fresh(),
    dataDir: dir,
    env: { PEERCHAT_STORE: 'false' },
  });
  t.equal(r.code, 2);
  t.equal(r.stdout, '');
  t.match(r.stderr, /store: false/);
});

t.test('a slow stdout stream: backpressure is honoured and nothing is lost', async (t) => {
  const { dir } = await seed(1200);
  let text = '';
  let waits = 0;
  const slow = new Writable({
    highWaterMark: 256,
    write(chunk: Buffer, _enc, cb) {
      text += chunk.toString();
      waits++;
      setImmediate(cb);
    },
  });
  const r = await runCli(['export', '--format', 'jsonl'], { cwd: fresh(), dataDir: dir, stdout: slow });
  t.equal(r.code, 0, r.stderr);
  t.equal(text, await direct(dir, 'jsonl'));
  t.ok(waits > 1, 'written in several chunks');
  t.equal(r.stderr, 'exported 1201 messages to stdout\n');
});

t.test('a closed pipe ends the export quietly; other stdout errors exit 1', async (t) => {
  const { dir } = await seed(1200);
  const failing = (code: string) =>
    new Writable({
      highWaterMark: 64,
      write(_chunk, _enc, cb) {
        cb(Object.assign(new Error(`write ${code}`), { code }));
      },
    });
  const pipe = await runCli(['export', '--format', 'jsonl'], {
    cwd: fresh(),
    dataDir: dir,
    stdout: failing('EPIPE'),
  });
  t.equal(pipe.code, 0, pipe.stderr);
  t.equal(pipe.stderr, 'peerchat: export stopped: stdout was closed\n');
  const full = await runCli(['export', '--format', 'jsonl'], {
    cwd: fresh(),
    dataDir: dir,
    stdout: failing('ENOSPC'),
  });
  t.equal(full.code, 1);
  t.match(full.stderr, /cannot write to stdout: write ENOSPC \(ERR_EXPORT_WRITE\)/);
});

t.test('csv to a terminal: control bytes from peers are shown escaped, rows kept', async (t) => {
  const dir = fresh();
  const store = Store.open({ dataDir: dir });
  await store.recordIncoming(message(0, { text: 'a\u001b]0;pwned\u0007b\u009b2J\r' }));
  await store.close();
  let shown = '';
  const tty = {
    isTTY: true,
    write(s: string) {
      shown += s;
      return true;
    },
  };
  const r = await runCli(['export', '--format', 'csv'], { cwd: fresh(), dataDir: dir, stdout: tty });
  t.equal(r.code, 0, r.stderr);
  t.notMatch(shown, /[\u001b\u0007\u009b\r]/, 'nothing a terminal would act on');
  t.match(shown, /a\\x1b\]0;pwned\\x07b\\x9b2J\\r/);
  t.equal(shown.trim().split('\n').length, 2, 'the header and one row');
  const piped = await runCli(['export', '--format', 'csv'], { cwd: fresh(), dataDir: dir });
  t.match(piped.stdout, /\u001b\]0;pwned/, 'to a pipe or a file the bytes are kept as stored');
});
