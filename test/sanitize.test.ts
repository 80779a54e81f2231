/** Names from the network (and our own) must print as what they are: no control, bidi or invisible characters. */
import t from 'tap';
import { parseFrame } from '../src/net/classic/codec.js';
import { isPrintableName, sanitize } from '../src/sanitize.js';

t.test('names: visible characters only', async (t) => {
  const emoji = ['👩‍👩‍👧', '🧑🏽‍💻', '🏴\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}'];
  for (const ok of ['alice', 'Zoë', '東京', 'bot-7', '🙂', ...emoji]) t.ok(isPrintableName(ok), ok);
  t.notOk(isPrintableName('a\u200d👩'), 'a joiner not between two pictographs');
  t.notOk(isPrintableName('\u{E0067}x'), 'a tag outside a flag');
  const invisible = [
    'ad\u200bmin',
    'ad\u200dmin',
    '\ufeffadmin',
    'ad\u2060min',
    'ad\u00admin',
    'ad\u3164min',
  ];
  for (const bad of [...invisible, 'ev\u001b[31mil', 'a\tb', 'x\u202ey', 'a\u0085b']) {
    t.notOk(isPrintableName(bad), JSON.stringify(bad));
  }
  t.match(parseFrame('MESSAGE:ad\u200bmin:5000:hi'), { ok: false, code: 'ERR_INVALID_NAME' });
});

t.test('sanitize escapes what would move the cursor or reorder text', async (t) => {
  t.equal(sanitize('a\u001b[2Jb\r\n\u202e'), 'a\\x1b[2Jb\\r\\n\\u{202e}');
  t.equal(sanitize('plain 東京 🙂'), 'plain 東京 🙂');
});
