import { PassThrough } from 'node:stream';
import t from 'tap';
import { createEvaluator, hasTopLevelAwait } from '../../src/repl/evaluate.js';
import { collect } from './fake-peer.js';

function setup(globals: Record<string, unknown> = {}) {
  const stdout = new PassThrough();
  const seen = collect(stdout);
  const ev = createEvaluator({ globals, stdout, stderr: new PassThrough() });
  return { ev, seen };
}

t.test('expressions, statements and top-level await', async (t) => {
  const { ev } = setup({ peer: { double: async (n: number) => n * 2 } });
  t.equal(await ev.evaluate('1 + 1'), 2);
  t.equal(await ev.evaluate('await peer.double(21)'), 42);
  t.equal(await ev.evaluate('await peer.double(1);'), 2, 'a trailing semicolon is fine');
  t.equal(await ev.evaluate('peer.double(4)'), 8, 'a returned promise is awaited');
  t.equal(await ev.evaluate(''), undefined);
  t.equal(await ev.evaluate('const a = await peer.double(2); a + 1'), undefined, 'statements run');
});

t.test('declarations persist across inputs, with or without await', async (t) => {
  const { ev } = setup({ peer: { get: async () => ({ x: 1, y: [2, 3] }) } });
  await ev.evaluate('const plain = 5');
  await ev.evaluate('const r = await peer.get()');
  await ev.evaluate('let { x } = await peer.get()');
  await ev.evaluate('var [, second] = (await peer.get()).y');
  await ev.evaluate('function f() { return plain + r.x + x + second }');
  t.equal(await ev.evaluate('f()'), 5 + 1 + 1 + 3);
  await ev.evaluate('async function g() { await null; return "async fn" }');
  t.equal(
    await ev.evaluate('await g()'),
    'async fn',
    'a function declaration containing await stays a declaration',
  );
});

t.test('peer is read-only, console goes to the given stream, node globals exist', async (t) => {
  const { ev, seen } = setup({ peer: { name: 'me' } });
  await ev.evaluate('peer = 1');
  t.equal(await ev.evaluate('peer.name'), 'me');
  await ev.evaluate('console.log("hello", 1)');
  t.equal(seen.text(), 'hello 1\n');
  t.equal(await ev.evaluate('typeof setTimeout + typeof Buffer + typeof process'), 'functionfunctionobject');
  t.equal(await ev.evaluate('await new Promise((r) => setTimeout(() => r("later"), 1))'), 'later');
});

t.test('errors reject with the original error', async (t) => {
  const { ev } = setup();
  await t.rejects(ev.evaluate('nope()'), { name: 'ReferenceError' });
  await t.rejects(ev.evaluate('await Promise.reject(new Error("async"))'), { message: 'async' });
  await t.rejects(ev.evaluate('1 +* 2'), { name: 'SyntaxError' });
});

t.test('isIncomplete detects input that continues on the next line', async (t) => {
  const { ev } = setup();
  t.equal(ev.isIncomplete('function f() {'), true);
  t.equal(ev.isIncomplete("await peer.send('a',"), true);
  t.equal(ev.isIncomplete('x = `multi'), true);
  t.equal(ev.isIncomplete('[1, 2,'), true);
  t.equal(ev.isIncomplete('for await (const m of it) {'), true);
  t.equal(ev.isIncomplete('1 + 1'), false);
  t.equal(ev.isIncomplete("await peer.send('a', 'b')"), false);
  t.equal(ev.isIncomplete("peer.send('a"), false, 'an unterminated string is an error, not a continuation');
  t.equal(ev.isIncomplete('1 +* 2'), false);
});

t.test('await in places a sloppy script would misread', async (t) => {
  const { ev } = setup();
  t.equal(await ev.evaluate('await (async () => 7)()'), 7, 'not a call of a function named await');
  t.same(await ev.evaluate('[await 1, { a: await 2 }]'), [1, { a: 2 }]);
  t.same(await ev.evaluate('({ b: await 3 })'), { b: 3 }, 'await inside braces of an expression');
  t.equal(
    await ev.evaluate('const items = [1, 2]; let n = 0; for await (const i of items) n += i; n'),
    undefined,
  );
  t.equal(
    await ev.evaluate('x = 1; const inner = async () => { await null; return 9 }; x'),
    1,
    'await only inside a function: plain script',
  );
  t.equal(await ev.evaluate('await inner()'), 9, 'and its declarations persist');
});

t.test('hasTopLevelAwait skips strings, comments and blocks', async (t) => {
  t.equal(hasTopLevelAwait('await x'), true);
  t.equal(hasTopLevelAwait('f(await x)'), true);
  t.equal(hasTopLevelAwait('\'await\' + "await" + `await`'), false);
  t.equal(hasTopLevelAwait('// await\n1'), false);
  t.equal(hasTopLevelAwait('/* await */ 1'), false);
  t.equal(hasTopLevelAwait('async function f() { await x }'), false);
  t.equal(hasTopLevelAwait('awaiting + x.await'), false);
  t.equal(hasTopLevelAwait("'it\\'s' + await y"), true, 'an escaped quote does not end the string');
});
