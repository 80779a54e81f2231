/**
 * The harness itself: line splitting, eval ordering and errors, exit paths, and that no child
 * outlives its test, whether the test passes, fails, times out or its process is killed.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type Result } from 'execa';
import t from 'tap';
import { Cluster, isAlive, lineSplitter, spawnPeer, until } from './harness.js';

const FIXTURE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'unclean.ts');
const GONE_MS = 10_000;

t.setTimeout(60_000);

t.test('lineSplitter joins chunks and splits lines', async (t) => {
  const lines: string[] = [];
  const s = lineSplitter((l) => lines.push(l));
  for (const chunk of ['{"a":', '1}\n{"b"', ':2}\r\n\n', 'x\ny', 'z']) s.push(chunk);
  t.same(lines, ['{"a":1}', '{"b":2}', '', 'x']);
  s.end();
  t.same(lines.at(-1), 'yz', 'a last line without "\\n" is kept at the end');
});

t.test('eval answers come back in order and errors reject', async (t) => {
  const cluster = new Cluster(t);
  const p = await cluster.spawn({ name: 'evaluator' });
  const answers = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      p.eval(`await new Promise((r) => setTimeout(() => r(${i}), ${(20 - i) * 3}))`),
    ),
  );
  t.same(
    answers,
    Array.from({ length: 20 }, (_, i) => i),
    'the n-th line gets the n-th result, even when later lines would finish first',
  );
  t.same(await p.eval('.peers'), [], 'dot-commands answer too (no peers yet)');
  t.equal(await p.eval('peer.name'), 'evaluator');
  const err = await p.eval('await peer.send("nobody-by-that-name", "x")').then(
    () => null,
    (e: { event?: { code?: string } }) => e,
  );
  t.match(err?.event, { type: 'error', code: /^ERR_/ }, 'a line that throws rejects with its error event');
  const exit = await p.waitExit();
  t.not(exit.exitCode, 0, 'an uncaught error ends the script with a non-zero code');
});

t.test('a peer ends when its stdin ends, and on quit()', async (t) => {
  const [a, b] = await Promise.all([spawnPeer(t, { name: 'a' }), spawnPeer(t, { name: 'b' })]);
  a.endInput();
  t.same(await a.waitExit(), { exitCode: 0, signal: undefined }, 'stdin end: exit code 0');
  t.same(await b.quit(), { exitCode: 0, signal: undefined }, 'quit(): exit code 0');
  t.same(a.junk.concat(b.junk), [], 'stdout carried only NDJSON');
});

t.test('no child outlives its test', async (t) => {
  let pids: number[] = [];
  await t.test('a passing test', async (t) => {
    const cluster = new Cluster(t);
    await cluster.spawnMany(3);
    pids = cluster.pids;
    t.ok(pids.length === 3 && pids.every(isAlive), 'three peers running');
  });
  t.ok(pids.length > 0 && pids.every((p) => !isAlive(p)), 'teardown ended every peer of a passing test');

  // both at once: each pays for a tap + TypeScript loader startup
  const runs = await Promise.all(
    (['tap', 'abandon'] as const).map((mode) =>
      execa(process.execPath, [...process.execArgv, FIXTURE, mode], { reject: false, timeout: 60_000 }),
    ),
  );
  const [tapRun, abandonRun] = runs as [Result, Result];
  t.not(tapRun.exitCode, 0, "the fixture's tap tests failed");
  t.match(String(tapRun.stdout), /not ok .* a test that fails/, 'one test failed');
  t.match(String(tapRun.stdout), /not ok .* a test that times out/, 'one test timed out');
  t.equal(abandonRun.signal, 'SIGKILL', 'the abandoning fixture was killed without any teardown');
  const cases = new Map<string, { pids: number[]; root: string }>();
  for (const line of `${String(tapRun.stderr)}\n${String(abandonRun.stderr)}`.split('\n')) {
    const m = /^PIDS (\w+) (.*)$/.exec(line);
    if (m) cases.set(m[1]!, JSON.parse(m[2]!) as { pids: number[]; root: string });
  }
  t.teardown(() => {
    for (const c of cases.values()) rmSync(c.root, { recursive: true, force: true });
  });
  for (const what of ['fail', 'timeout', 'abandon']) {
    const info = cases.get(what);
    t.equal(info?.pids.length, 2, `${what}: the fixture started two peers`);
    await until(() => (info?.pids ?? []).every((p) => !isAlive(p)), GONE_MS, `${what}: peers gone`);
    t.pass(`${what}: no peer outlived the test`);
  }
});
