import t from 'tap';
import { PeerchatError } from '../../src/errors.js';
import {
  createColors,
  formatDelivered,
  formatError,
  formatMessage,
  formatPeerTable,
  formatStamp,
  formatTime,
  sanitize,
  shortFingerprint,
  shouldUseColor,
} from '../../src/repl/format.js';
import { makeMessage, makePeerInfo } from './fake-peer.js';

const plain = createColors(false);

t.test('time is local HH:MM:SS', async (t) => {
  const d = new Date(2026, 0, 2, 3, 4, 5);
  t.equal(formatTime(d.getTime()), '03:04:05');
  t.match(formatTime(0), /^\d\d:\d\d:\d\d$/, 'a missing timestamp shows the current time');
});

t.test('a native message shows the short verified fingerprint', async (t) => {
  const ts = new Date().setHours(12, 3, 4, 0); // today: the time alone is shown
  const msg = makeMessage({
    from: '127.0.0.1:5001',
    name: 'alice',
    text: 'hello',
    protocol: 'native',
    verified: true,
    fingerprint: '3f2a:91c0:7be4:d215',
    ts,
  });
  t.equal(formatMessage(msg, plain), '[12:03:04] 127.0.0.1:5001 alice (3f2a:91c0:7be4:d215): hello');
});

t.test('a classic message is marked unverified', async (t) => {
  const ts = new Date().setHours(12, 3, 4, 0); // today: the time alone is shown
  const msg = makeMessage({ from: '127.0.1.2:6000', name: 'bob', text: 'hi: there', ts });
  t.equal(formatMessage(msg, plain), '[12:03:04] 127.0.1.2:6000 bob (unverified): hi: there');
});

t.test('control characters from the network are escaped', async (t) => {
  t.equal(sanitize('a\x1b[2Jb\nc\rd\te'), 'a\\x1b[2Jb\\nc\\rd\te');
  const msg = makeMessage({ from: '1.2.3.4:5', name: 'evil\x1b[31m', text: 'x\n[00:00:00] fake\r\x1b[2K' });
  const line = formatMessage(msg, plain);
  t.notOk(line.includes('\x1b'), 'no raw escape survives');
  t.notOk(line.includes('\r'), 'no carriage return survives');
  const lines = line.split('\n');
  t.equal(lines.length, 2, 'a line break in the text starts a new line');
  t.equal(
    lines[1],
    '    [00:00:00] fake\\r\\x1b[2K',
    'indented under the sender: it cannot pass for a message',
  );
});

t.test('a multi-line text is shown as lines indented under the sender', async (t) => {
  const ts = new Date().setHours(12, 3, 4, 0); // today: the time alone is shown
  const msg = makeMessage({ from: '127.0.0.1:5001', name: 'bot', text: 'commands:\r\n!help\n!ping', ts });
  t.equal(
    formatMessage(msg, plain),
    '[12:03:04] 127.0.0.1:5001 bot (unverified): commands:\n    !help\n    !ping',
  );
});

t.test('a message not from today shows its date', async (t) => {
  const noon = new Date(2026, 0, 2, 12, 3, 4).getTime();
  t.equal(formatStamp(noon, new Date(2026, 0, 2, 23, 59, 59).getTime()), '12:03:04', 'same day');
  t.equal(formatStamp(noon, new Date(2026, 0, 3, 0, 0, 1).getTime()), '2026-01-02 12:03:04', 'the next day');
  const old = makeMessage({
    from: '127.0.0.1:5001',
    text: 'hi',
    ts: new Date(2020, 4, 6, 7, 8, 9).getTime(),
  });
  t.match(formatMessage(old, plain), /^\[2020-05-06 07:08:09\] /);
});

t.test('colour wraps parts in ANSI codes only when enabled', async (t) => {
  const msg = makeMessage({ from: '1.2.3.4:5', name: 'a', text: 'b' });
  t.match(formatMessage(msg, createColors(true)), /\x1b\[/);
  t.notMatch(formatMessage(msg, plain), /\x1b\[/);
});

t.test('shouldUseColor: NO_COLOR, --no-color, non-TTY, FORCE_COLOR', async (t) => {
  const tty = { isTTY: true };
  t.equal(shouldUseColor({ env: {}, stream: tty }), true);
  t.equal(shouldUseColor({ env: { NO_COLOR: '1' }, stream: tty }), false);
  t.equal(shouldUseColor({ env: { NO_COLOR: '' }, stream: tty }), true, 'an empty NO_COLOR is ignored');
  t.equal(shouldUseColor({ flag: false, env: {}, stream: tty }), false);
  t.equal(
    shouldUseColor({ flag: true, env: {}, stream: { isTTY: false } }),
    false,
    'a default true flag does not force',
  );
  t.equal(shouldUseColor({ env: {}, stream: { isTTY: false } }), false);
  t.equal(shouldUseColor({ env: { TERM: 'dumb' }, stream: tty }), false);
  t.equal(shouldUseColor({ env: { FORCE_COLOR: '1' }, stream: { isTTY: false } }), true);
});

t.test('short fingerprint and peer table', async (t) => {
  t.equal(shortFingerprint('aa:bb'), 'aa:bb');
  t.equal(shortFingerprint('aa:bb:cc:dd'), 'aa:bb:cc:dd', 'all 64 bits');
  t.equal(shortFingerprint('aa:bb:cc:dd:ee'), 'aa:bb:cc:dd…');
  const table = formatPeerTable(
    [
      makePeerInfo({
        address: '127.0.0.1:5001',
        name: 'alice',
        connected: true,
        protocol: 'native',
        fingerprint: 'aa:bb:cc:dd',
      }),
      makePeerInfo({ address: '127.0.1.22:5002', name: null }),
    ],
    plain,
  );
  const lines = table.split('\n');
  t.equal(lines.length, 2);
  t.match(lines[0], /^127\.0\.0\.1:5001 +alice +connected +native +aa:bb:cc:dd$/);
  t.match(lines[1], /^127\.0\.1\.22:5002 +- +known +classic +-$/);
  t.equal(lines[0]?.indexOf('alice'), lines[1]?.indexOf('-  '), 'columns line up');
});

t.test('errors are one line with their code', async (t) => {
  t.equal(
    formatError(new PeerchatError('ERR_UNKNOWN_TARGET', 'no peer\nmatches "x"')),
    'ERR_UNKNOWN_TARGET: no peer matches "x"',
  );
  t.equal(formatError(new TypeError('x is not a function')), 'TypeError: x is not a function');
  t.equal(formatError('plain'), 'plain');
  t.equal(
    formatError({ name: 'RangeError', message: 'from another realm' }),
    'RangeError: from another realm',
  );
});

t.test('a late delivery names the peer and shows the start of the text', async (t) => {
  const named = makeMessage({ from: '127.0.0.1:5001', name: 'bob', text: 'x'.repeat(60), direction: 'out' });
  t.match(formatDelivered(named, plain), /✓ delivered to bob: x{40}…$/);
  const unnamed = makeMessage({ from: '127.0.0.1:5001', name: null, text: 'hi\u001b[31m', direction: 'out' });
  t.match(formatDelivered(unnamed, plain), /delivered to 127\.0\.0\.1:5001: hi/);
  t.notMatch(formatDelivered(unnamed, plain), /\u001b/, 'remote text is sanitized');
});
