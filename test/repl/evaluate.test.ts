import { PassThrough } from 'node:stream';
import t from 'tap';
import { createEvaluator } from '../../src/repl/evaluate.js';
import { rewriteTopLevelAwait } from '../../src/repl/top-level-await.js';
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
  t.equal(await ev.evaluate('const a = await peer.double(2); a + 1'), 5, 'the last expression is the value');
  t.equal(await ev.evaluate('a'), 4, 'a declaration next to an await is global');
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
  t.equal(await ev.evaluate('const items = [1, 2]; let n = 0; for await (const i of items) n += i; n'), 3);
  t.equal(
    await ev.evaluate('x = 1; const inner = async () => { await null; return 9 }; x'),
    1,
    'await only inside a function: plain script',
  );
  t.equal(await ev.evaluate('await inner()'), 9, 'and its declarations persist');
});

t.test('rewriteTopLevelAwait: only inputs with an await outside functions are rewritten', async (t) => {
  t.equal(rewriteTopLevelAwait('1 + 1'), null);
  t.equal(rewriteTopLevelAwait('\'await\' + "await" + `await`'), null, 'strings');
  t.equal(rewriteTopLevelAwait('// await\n1'), null, 'comments');
  t.equal(rewriteTopLevelAwait('async function f() { await x }'), null, 'inside a function');
  t.equal(rewriteTopLevelAwait('awaiting + x.await'), null, 'names that contain await');
  t.equal(rewriteTopLevelAwait('await 1; return 2'), null, 'a top-level return is left to V8');
  t.match(rewriteTopLevelAwait('f(await x)'), /^\(async/);
  t.match(rewriteTopLevelAwait('{ await x }'), /^\(async/, 'inside a block is still top level');
  t.match(rewriteTopLevelAwait('const { a, b: [c, ...d] } = await x'), /^let a, c, d; /);
  t.match(rewriteTopLevelAwait('{ var v = await x }'), /^var v; /, 'var leaves blocks');
  t.match(
    rewriteTopLevelAwait('for (const i of await x) {}'),
    /^\(async/,
    'a loop variable stays in the loop',
  );
  t.throws(() => rewriteTopLevelAwait('await 1 +* 2'), { message: 'Unexpected token' });
});

t.test('syntax errors next to await name the real problem', async (t) => {
  const { ev } = setup();
  await t.rejects(ev.evaluate('await 1 +* 2'), { name: 'SyntaxError', message: 'Unexpected token' });
});

/**
 * The same inputs, in order, through Node's own REPL evaluator and ours: the values must match.
 * Node's answers are computed here, not recorded. peerchat awaits a returned promise (Node
 * shows it pending), so a promise from Node is awaited before comparing.
 */
const NODE_TABLE = [
  '1 + 1',
  'await 1; 2',
  'await sleep(5); "first"',
  'const a = await Promise.resolve(4); a + 1',
  'a',
  'let { b, c: [d] } = await Promise.resolve({ b: 1, c: [2] })',
  'b + d',
  'var v = await 3, w = 4',
  'v + w',
  'function f() { return a * 2 } await null',
  'f()',
  'class K { x = 1 }; await 0; new K().x',
  'typeof K',
  '[await 1, { a: await 2 }]',
  '({ b: await 3 })',
  '{ z: await 5 }',
  '{ a: 1 }',
  'for await (const i of [1, 2]) a += i; a',
  'await 1; if (true) { 5 }',
  'const nested = async () => { await null; return 9 }; nested',
  'await nested()',
  'x = await 2; x * 3',
  'let e1 = 1; await 0; e1',
  'await 1;;',
  'if (true) { var hoisted = await 6 } hoisted',
  'await new Promise((r) => setTimeout(() => r("later"), 1))',
  'Promise.resolve(42)',
  'typeof inner === "undefined" && (async () => { const inner = await 1; return inner })()',
  'await Promise.reject(new Error("boom"))',
  'await 1 +* 2',
  'nope()',
  'null.x',
  '2 * 21',
];
const NODE_DEADLINE_MS = 5000;

type Outcome = { value: string } | { error: string };

async function settle(run: () => Promise<unknown>): Promise<Outcome> {
  const { inspect } = await import('node:util');
  try {
    return { value: inspect(await run(), { depth: 4 }) };
  } catch (err) {
    return { error: (err as Error).name };
  }
}

t.test(`${NODE_TABLE.length} inputs give what node's REPL gives`, async (t) => {
  const repl = await import('node:repl');
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const output = new PassThrough();
  const server = repl.start({ input: new PassThrough(), output, terminal: false });
  t.teardown(() => server.close());
  server.context.sleep = sleep;
  // a synchronous throw goes to the REPL's own handler, which prints it instead of calling back
  const nodeEval = (code: string) =>
    new Promise<unknown>((resolve, reject) => {
      const uncaught = (chunk: Buffer) => {
        const m = /Uncaught (\w*)/.exec(chunk.toString());
        if (m) done(Object.assign(new Error('uncaught'), { name: m[1] }));
      };
      const timer = setTimeout(() => done(new Error(`node gave no answer for ${code}`)), NODE_DEADLINE_MS);
      const done = (err: Error | null, value?: unknown) => {
        clearTimeout(timer);
        output.off('data', uncaught);
        if (err) reject(err);
        else resolve(value);
      };
      output.on('data', uncaught);
      server.eval(`${code}\n`, server.context, 'repl', done);
    });
  const { ev } = setup({ sleep });
  t.ok(NODE_TABLE.length >= 20);
  for (const code of NODE_TABLE) {
    const expected = await settle(() => nodeEval(code));
    const actual = await settle(() => ev.evaluate(code));
    t.same(actual, expected, code);
  }
});
