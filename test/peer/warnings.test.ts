/** Warnings are rate-limited per code; what is held back is counted, not lost silently. */
import t from 'tap';
import { PeerchatError, type Warning } from '../../src/errors.js';
import { WARNING_WINDOW_MS, WARNINGS_PER_WINDOW, WarningLimiter, Warnings } from '../../src/peer/warnings.js';

t.test('at most WARNINGS_PER_WINDOW per code per window, then a summary', async (t) => {
  const out: Warning[] = [];
  const limiter = new WarningLimiter((w) => out.push(w));
  const clock = t.capture(Date, 'now', () => 1_000_000);
  for (let i = 0; i < 100; i++) limiter.report({ code: 'ERR_BAD_FRAME', message: `bad ${i}` });
  limiter.report({ code: 'ERR_IDLE_TIMEOUT', message: 'idle' });
  t.equal(out.filter((w) => w.code === 'ERR_BAD_FRAME').length, WARNINGS_PER_WINDOW, 'a flood is cut');
  t.ok(
    out.some((w) => w.code === 'ERR_IDLE_TIMEOUT'),
    'another code has its own budget',
  );
  clock.restore();
  t.capture(Date, 'now', () => 1_000_000 + WARNING_WINDOW_MS);
  limiter.report({ code: 'ERR_BAD_FRAME', message: 'next window' });
  const summary = out.find((w) => /suppressed/.test(w.message));
  t.match(summary, {
    code: 'ERR_BAD_FRAME',
    message: `${100 - WARNINGS_PER_WINDOW} more warnings of this kind were suppressed`,
  });
  t.equal(out.at(-1)?.message, 'next window');
});

t.test(
  'the sink: a coded failure keeps its code, an uncoded one is ERR_INTERNAL; both keep the cause',
  async (t) => {
    const warnings = new Warnings();
    const out: Warning[] = [];
    warnings.on('warning', (w) => out.push(w));
    const coded = new PeerchatError('ERR_CONNECT_TIMEOUT', 'no answer');
    warnings.fail(coded, 'connect to 127.10.0.1:1 failed');
    const bug = new TypeError('x is undefined');
    warnings.fail(bug, 'outgoing transform failed');
    warnings.warn('ERR_BAD_FRAME', 'odd frame');
    t.same(out, [
      { code: 'ERR_CONNECT_TIMEOUT', message: 'connect to 127.10.0.1:1 failed: no answer', cause: coded },
      { code: 'ERR_INTERNAL', message: 'outgoing transform failed: x is undefined', cause: bug },
      { code: 'ERR_BAD_FRAME', message: 'odd frame', cause: undefined },
    ]);
    warnings.sink({ code: 'ERR_BAD_FRAME', message: 'through the sink' });
    t.equal(out.at(-1)?.message, 'through the sink');
  },
);
