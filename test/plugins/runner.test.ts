import t from 'tap';
import { runHook } from '../../src/plugins/runner.js';

t.test('sync and async values pass through', async (t) => {
  t.same(await runHook('x', 100, () => 1), { ok: true, value: 1 });
  t.same(await runHook('x', 100, async () => 2), { ok: true, value: 2 });
  t.same(await runHook('x', 100, () => null), { ok: true, value: null });
});

t.test('throws and rejections alike become ERR_PLUGIN_HOOK with the label and the cause', async (t) => {
  const err = new Error('bad');
  const thrown = await runHook('plugin "p" hook "onStart"', 100, () => {
    throw err;
  });
  const rejected = await runHook('plugin "p" hook "onStart"', 100, () => Promise.reject(err));
  for (const outcome of [thrown, rejected]) {
    t.equal(outcome.ok, false);
    if (outcome.ok) continue;
    t.equal(outcome.error.code, 'ERR_PLUGIN_HOOK');
    t.equal(outcome.error.message, 'plugin "p" hook "onStart" failed: bad');
    t.equal(outcome.error.cause, err);
  }
  const odd = await runHook('l', 100, () => {
    throw { weird: true };
  });
  t.match(odd, { ok: false, error: { message: 'l failed: [object Object]' } });
});

t.test('a hook that does not settle in time is given up on; its late rejection is harmless', async (t) => {
  let rejectLate!: (e: Error) => void;
  const started = Date.now();
  const outcome = await runHook(
    'slow',
    30,
    () =>
      new Promise((_, reject) => {
        rejectLate = reject;
      }),
  );
  t.ok(Date.now() - started >= 25, 'waited about the timeout');
  t.match(outcome, {
    ok: false,
    error: { code: 'ERR_PLUGIN_HOOK_TIMEOUT', message: /slow did not settle within 30 ms/ },
  });
  let unhandled = false;
  const onUnhandled = () => {
    unhandled = true;
  };
  process.on('unhandledRejection', onUnhandled);
  t.teardown(() => process.off('unhandledRejection', onUnhandled));
  rejectLate(new Error('late'));
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  t.equal(unhandled, false);
});
