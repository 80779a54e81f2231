/** docs/plugins.md's complete example is code that runs: this loads that very block. */

import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import t from 'tap';
import { makePeerInfo } from './helpers/fake-peer.js';
import { makeHost } from './helpers/host.js';

const DOC = fileURLToPath(new URL('../../docs/plugins.md', import.meta.url));

/** The js block after `<!-- example: <file> -->` in docs/plugins.md. */
function exampleSource(file = 'welcome.js'): string {
  const doc = readFileSync(DOC, 'utf8');
  const marker = `<!-- example: ${file} -->`;
  const at = doc.indexOf(marker);
  if (at < 0) throw new Error(`${marker} is missing from docs/plugins.md`);
  const block = /```js\n([\s\S]*?)```/.exec(doc.slice(at));
  if (!block?.[1]) throw new Error('no js block after the example marker');
  return block[1];
}

t.test('the complete example in docs/plugins.md loads and does what the docs say', async (t) => {
  // inside the package, so `import 'peerchat'` resolves to dist/ like it does for users
  const dir = t.testdir({ data: {} });
  writeFileSync(path.join(dir, 'welcome.js'), exampleSource());
  const dataDir = path.join(dir, 'data');

  const { host, peer, warnings } = makeHost(t, { dataDir });
  await host.load([{ spec: './welcome.js', baseDir: dir, options: { greeting: 'hello {name}' } }]);
  await host.start();

  peer.emit('peer-connected', makePeerInfo({ address: '127.0.0.1:4001', name: 'bob' }));
  await host.idle();
  t.same(peer.sent, [{ target: '127.0.0.1:4001', text: 'hello bob', opts: { wait: false } }]);

  await peer.send('127.0.0.1:4001', 'hi :wave:');
  t.equal(peer.sent[1]?.text, 'hi 👋');

  await peer.receive({ name: 'bob' });
  await peer.receive({ name: 'bob' });
  await peer.receive({ name: null, from: '127.0.1.9:1' });
  await host.idle();
  t.equal(await host.commands.get('seen')?.action(''), 'bob: 2\n127.0.1.9:1: 1');
  t.equal(host.helpers.seenCount?.('bob'), 2);
  await host.stop();
  t.same(warnings, []);

  // the counts survive a restart
  const again = makeHost(t, { dataDir });
  await again.host.load([{ spec: './welcome.js', baseDir: dir }]);
  t.equal(again.host.helpers.seenCount?.('bob'), 2);
  again.peer.emit('peer-connected', makePeerInfo({ name: null }));
  await again.host.idle();
  t.equal(again.peer.sent[0]?.text, 'welcome, stranger!');
});

t.test("the docs' plugin tests pass as written, with node --test and with tap", async (t) => {
  // outside the repository, with peerchat (and tap) linked in as a plugin package would have them
  const dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'peerchat-docs-')));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const repo = fileURLToPath(new URL('../../', import.meta.url));
  mkdirSync(path.join(dir, 'node_modules'));
  symlinkSync(repo, path.join(dir, 'node_modules', 'peerchat'), 'dir');
  symlinkSync(path.join(repo, 'node_modules', 'tap'), path.join(dir, 'node_modules', 'tap'), 'dir');
  writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n');
  for (const file of ['welcome.js', 'welcome.test.js', 'welcome.tap.test.js']) {
    writeFileSync(path.join(dir, file), exampleSource(file));
  }
  const env = { NODE_OPTIONS: '', NODE_V8_COVERAGE: '', NO_COLOR: '1', TAP: '', TAP_CHILD_ID: '' };
  const opts = { cwd: dir, env, reject: false, timeout: 60_000 } as const;

  const nodeTest = await execa(process.execPath, ['--test', '--test-reporter=tap', 'welcome.test.js'], opts);
  if (nodeTest.exitCode !== 0) t.comment(nodeTest.stdout, nodeTest.stderr);
  t.equal(nodeTest.exitCode, 0, 'node --test passes');
  t.match(nodeTest.stdout, /# pass 2\n# fail 0/);

  const tap = await execa(process.execPath, ['welcome.tap.test.js'], opts);
  if (tap.exitCode !== 0) t.comment(tap.stdout, tap.stderr);
  t.equal(tap.exitCode, 0, 'the tap version passes');
  t.match(tap.stdout, /# \{ total: 1, pass: 1 \}|ok 1 - welcome greets a peer that connects/);
});
