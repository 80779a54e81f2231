/** Warnings are rate-limited per code; what is held back is counted, not lost silently. */
import t from 'tap';
import type { Warning } from '../../src/errors.js';
import { WARNING_WINDOW_MS, WARNINGS_PER_WINDOW, WarningLimiter } from '../../src/peer/warnings.js';

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
