import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { TypedCode } from '../../src/repl/typed-code.js';

t.test('what typed code starts stays in its context; the rest is outside', async (t) => {
  const typed = new TypedCode();
  t.equal(typed.active, false, 'outside');
  const seen: boolean[] = [];
  await typed.run(async () => {
    seen.push(typed.active);
    await sleep(1);
    seen.push(typed.active);
    await new Promise<void>((resolve) =>
      setTimeout(() => {
        seen.push(typed.active);
        resolve();
      }, 1),
    );
  });
  t.same(seen, [true, true, true], 'across awaits and timers');
  t.equal(typed.active, false, 'outside again');
});

t.test('claim: an error of typed code goes to the REPL, any other is not claimed', async (t) => {
  const typed = new TypedCode();
  const printed: unknown[] = [];
  typed.domain.on('error', (e) => printed.push(e));
  const inside = new Error('typed');
  t.equal(await typed.run(async () => typed.claim(inside)), true);
  t.equal(typed.claim(new Error('ours')), false);
  t.same(printed, [inside]);
  const fn = () => 1;
  t.equal(typed.domain.bind(fn), fn, 'bind() binds nothing: no domain is entered');
});
