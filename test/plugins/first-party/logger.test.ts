import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import type { ChatMessage } from '../../../src/types.js';
import { withPlugin } from '../helpers/first-party.js';

const lines = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean);

t.test('jsonl (default): every message in and out, one JSON object a line, in order', async (t) => {
  const dataDir = t.testdir();
  const { host, peer } = await withPlugin(t, 'logger', { host: { dataDir } });
  await peer.receive({ text: 'first', name: 'alice' });
  await peer.send('127.0.0.1:4001', 'second');
  await peer.receive({ text: 'third\nline' });
  await host.stop(); // flushes the write queue
  const file = path.join(dataDir, 'plugins', 'logger', 'messages.jsonl');
  const logged = lines(file).map((l) => JSON.parse(l) as ChatMessage);
  t.same(
    logged.map((m) => [m.direction, m.text]),
    [
      ['in', 'first'],
      ['out', 'second'],
      ['in', 'third\nline'],
    ],
  );
  t.equal(logged[0]?.name, 'alice');
});

t.test('text format, to a file relative to the config directory', async (t) => {
  const baseDir = t.testdir();
  const { host, peer } = await withPlugin(t, 'logger', {
    baseDir,
    options: { format: 'text', file: 'logs/chat.log' },
  });
  const ts = Date.UTC(2025, 0, 2, 3, 4, 5);
  await peer.receive({ text: 'hi\nthere', name: 'alice', from: '127.0.1.1:9', ts });
  await peer.send('127.0.1.2:9', 'yo');
  await host.stop();
  const got = lines(path.join(baseDir, 'logs', 'chat.log'));
  t.equal(got[0], '2025-01-02T03:04:05.000Z <- alice (127.0.1.1:9): hi\\nthere');
  t.match(got[1], /^\d{4}-\d\d-\d\dT.* -> 127\.0\.1\.2:9: yo$/);
});

t.test('rotation by size keeps maxFiles old files, newest first', async (t) => {
  const baseDir = t.testdir();
  const maxBytes = 300;
  const { host, peer } = await withPlugin(t, 'logger', {
    baseDir,
    options: { file: 'chat.jsonl', maxBytes, maxFiles: 2 },
  });
  for (let i = 0; i < 12; i++) await peer.receive({ text: `message ${i}`.padEnd(40, '.') });
  await host.stop();
  const file = path.join(baseDir, 'chat.jsonl');
  t.ok(existsSync(`${file}.1`) && existsSync(`${file}.2`));
  t.notOk(existsSync(`${file}.3`), 'no more than maxFiles rotated files');
  for (const f of [file, `${file}.1`, `${file}.2`])
    t.ok(statSync(f).size <= maxBytes, `${path.basename(f)} <= maxBytes`);
  const kept = [`${file}.2`, `${file}.1`, file].flatMap((f) =>
    lines(f).map((l) => (JSON.parse(l) as ChatMessage).text),
  );
  const numbers = kept.map((text) => Number(/message (\d+)/.exec(text)?.[1]));
  t.same(
    numbers,
    numbers.toSorted((a, b) => a - b),
    'oldest in .2, newest in the file',
  );
  t.equal(numbers.at(-1), 11, 'the newest message is kept');
  t.ok(numbers[0]! > 0, 'the oldest were rotated away');
});

t.test('an existing file counts toward the size limit after a restart', async (t) => {
  const baseDir = t.testdir({ 'chat.jsonl': `${'x'.repeat(250)}\n` });
  const { host, peer } = await withPlugin(t, 'logger', {
    baseDir,
    options: { file: 'chat.jsonl', maxBytes: 300 },
  });
  await peer.receive({ text: 'new' });
  await host.stop();
  t.equal(lines(path.join(baseDir, 'chat.jsonl.1'))[0], 'x'.repeat(250));
  t.equal(lines(path.join(baseDir, 'chat.jsonl')).length, 1);
});

t.test('bad options fail the load with a clear error', async (t) => {
  await t.rejects(withPlugin(t, 'logger', { options: { format: 'xml' } }), {
    code: 'ERR_PLUGIN_LOAD',
    message:
      /plugin "logger" \(peerchat:logger\): invalid options: option "format": expected one of "jsonl", "text", found "xml"/,
  });
  await t.rejects(withPlugin(t, 'logger', { options: { maxBytes: -1 } }), { code: 'ERR_PLUGIN_LOAD' });
});

t.test('a write failure is reported as a hook failure; the peer carries on', async (t) => {
  const baseDir = t.testdir({ 'a-dir': {} });
  const { host, peer, warnings } = await withPlugin(t, 'logger', { baseDir, options: { file: 'a-dir' } });
  await peer.receive({ text: 'x' });
  await host.idle();
  t.match(warnings[0], {
    code: 'ERR_PLUGIN_HOOK',
    message: /plugin "logger" hook "onMessage" failed: EISDIR/,
  });
  t.equal(peer.delivered.length, 1);
});
