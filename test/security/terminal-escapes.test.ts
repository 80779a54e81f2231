/**
 * Issue 15 #9: remote text (names, texts) never reaches a terminal or a text log with its
 * control characters live: one sanitizer everywhere, and names restricted at decode.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { parseFrame } from '../../src/net/classic/codec.js';
import * as m from '../../src/net/native/messages.js';
import { createCompleter } from '../../src/repl/completer.js';
import { sanitize } from '../../src/repl/format.js';
import { withPlugin } from '../plugins/helpers/first-party.js';
import { makeHost } from '../plugins/helpers/host.js';
import { FakePeer } from '../repl/fake-peer.js';

const OSC_TITLE = '\x1b]0;pwned\x07';
const CLEAR = '\x1b[2J';
const OSC52 = '\x1b]52;c;ZWNobyBwd25lZA==\x07';
const C1_CSI = '\u009b2J';
const BIDI = ['\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069'];
const OTHER_INVISIBLE = ['\u200e', '\u200f', '\u061c', '\u2028', '\u2029'];

/** A label safe to print in TAP output. */
const cp = (s: string) => s.replace(/[^\x20-\x7e]/gu, (c) => `<U+${c.codePointAt(0)?.toString(16)}>`);

/** True when `s` holds anything a terminal would interpret rather than show. */
function live(s: string): boolean {
  return /[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/.test(s);
}

t.test('the sanitizer escapes C0, C1, ESC sequences, OSC, bidi and line separators', async (t) => {
  for (const bad of [OSC_TITLE, CLEAR, OSC52, C1_CSI, '\x00', '\x7f', ...BIDI, ...OTHER_INVISIBLE]) {
    const out = sanitize(`a${bad}b`);
    t.notOk(live(out), `${cp(bad)} is shown escaped`);
    t.ok(out.startsWith('a') && out.endsWith('b'));
  }
  t.equal(sanitize('\u202eevil'), '\\u{202e}evil', 'a bidi override is shown as its code point');
  t.equal(sanitize('zoë 👩‍👩‍👧 ok\tthere'), 'zoë 👩‍👩‍👧 ok\tthere', 'printable text and emoji pass');
  t.equal(sanitize(sanitize(`x${OSC52}`)), sanitize(`x${OSC52}`), 'idempotent');
});

t.test('tab completion never prints a raw peer name', async (t) => {
  const peer = new FakePeer();
  peer.addPeer({ address: '127.0.0.1:5001', name: `e${OSC_TITLE}${CLEAR}`, connected: true });
  const complete = createCompleter(peer, (_line, cb) => cb(null, [[], '']));
  const got = await new Promise<[string[], string] | undefined>((resolve) =>
    complete('.send e', (_err, res) => resolve(res)),
  );
  t.ok(got && got[0].length > 0, 'the peer is still offered');
  for (const c of got?.[0] ?? []) t.notOk(live(c), `candidate ${cp(c)} is escaped`);
});

t.test('notify never writes a remote name or text raw (OSC 52 clipboard write)', async (t) => {
  const chunks: string[] = [];
  const output = { write: (s: string) => chunks.push(s) };
  const { host, peer } = await withPlugin(t, 'notify', {
    options: { output, mode: 'highlight', color: false },
    peerName: 'zed',
  });
  await peer.receive({ text: `zed ${OSC52}${BIDI[4]}`, name: `eve${CLEAR}` });
  await host.idle();
  t.equal(chunks.length, 1, 'the mention is shown');
  t.notOk(live(chunks.join('').replace(/\n$/, '')), cp(chunks.join('')));
});

t.test('the logger text format: a name with a newline cannot forge a log line', async (t) => {
  const baseDir = t.testdir();
  const { host, peer } = await withPlugin(t, 'logger', {
    baseDir,
    options: { format: 'text', file: 'c.log' },
  });
  const forged = 'eve\n2025-01-01T00:00:00.000Z <- admin (127.0.0.1:1): trust me';
  await peer.receive({ text: `hi${OSC_TITLE}\r${BIDI[4]}`, name: forged, from: '127.0.1.1:9' });
  await host.stop();
  const text = readFileSync(path.join(baseDir, 'c.log'), 'utf8');
  t.equal(text.split('\n').filter(Boolean).length, 1, 'one message, one line');
  t.notOk(live(text.replace(/\n$/, '')), cp(text));
});

t.test('plugin api.log output is sanitized', async (t) => {
  const { host, logs } = makeHost(t);
  await host.load([
    {
      plugin: {
        name: 'chatty',
        setup(api) {
          api.log.warn(`remote said ${OSC_TITLE}${BIDI[0]}`);
        },
      },
    },
  ]);
  t.equal(logs.length, 1);
  t.notOk(live(logs[0]?.message ?? ''), cp(logs[0]?.message ?? ''));
});

t.test('native names are restricted to printable characters at decode', async (t) => {
  const hello = { name: 'ok', port: 1, version: 'peerchat/1', capabilities: [] };
  t.ok(m.safeDecode(m.hello, m.encode(m.hello, hello)), 'a plain name decodes');
  t.ok(m.safeDecode(m.hello, m.encode(m.hello, { ...hello, name: 'zoë 👩‍👩‍👧' })), 'unicode names decode');
  for (const bad of [CLEAR, OSC_TITLE, '\n', '\t', C1_CSI, ...BIDI, ...OTHER_INVISIBLE]) {
    t.equal(
      m.safeDecode(m.hello, m.encode(m.hello, { ...hello, name: `x${bad}` })),
      null,
      `hello name with ${cp(bad)} is refused`,
    );
  }
  const answer = m.safeDecode(
    m.peersAnswer,
    m.encode(m.peersAnswer, {
      requestId: 1,
      entries: [{ address: '127.0.0.1:1', key: null, name: `x${CLEAR}` }],
    }),
  );
  t.equal(answer?.entries[0]?.name, null, 'a peers-answer entry keeps its address but loses a bad name');
});

t.test('classic names with escapes or bidi controls are refused with ERR_INVALID_NAME', async (t) => {
  for (const bad of [`e${CLEAR}`, `e${OSC_TITLE}`, `e${BIDI[4]}`, `e${C1_CSI}`, `e\u200f`]) {
    for (const line of [`CONNECT:${bad}:5000`, `MESSAGE:${bad}:5000:hi`, `127.0.0.1:5000 ${bad} hi`]) {
      const r = parseFrame(line);
      t.equal(r.ok, false, cp(line));
      if (!r.ok && !line.startsWith('127')) t.equal(r.code, 'ERR_INVALID_NAME');
    }
  }
  t.ok(parseFrame('CONNECT:zoë:5000').ok, 'unicode names still pass');
});
