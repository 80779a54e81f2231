/**
 * `peerchat plugin new <name>` writes a plugin package whose own test passes out of the box:
 * the test runs with `node --test`, `peerchat` linked into its node_modules as `npm link` would.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import t from 'tap';
import { runCli, sandbox } from './run-cli.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const VERSION = (JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string })
  .version;

t.setTimeout(120_000);
const newDir = sandbox(t);

if (!existsSync(path.join(REPO, 'dist', 'testing.js'))) {
  await execa('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: REPO, timeout: 120_000 });
}

t.test('the scaffold is a plugin package that passes its own test', async (t) => {
  const cwd = newDir();
  const res = await runCli(['plugin', 'new', 'greeter'], { cwd });
  t.equal(res.code, 0, res.stderr);
  const dir = path.join(cwd, 'peerchat-plugin-greeter');
  t.match(res.stdout, `wrote ${dir}`);
  t.same((await readdir(dir)).sort(), ['.gitignore', 'README.md', 'index.js', 'package.json', 'test']);

  const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
  t.equal(pkg.name, 'peerchat-plugin-greeter');
  t.ok(pkg.keywords.includes('peerchat-plugin'), 'the peerchat-plugin keyword');
  t.same(pkg.peerDependencies, { peerchat: `^${VERSION.split('.').slice(0, 2).join('.')}.0` });
  t.equal(pkg.type, 'module');
  t.match(readFileSync(path.join(dir, 'index.js'), 'utf8'), "name: 'greeter'");
  t.match(readFileSync(path.join(dir, 'README.md'), 'utf8'), /# peerchat-plugin-greeter/);

  // what `npm link peerchat` (or installing it) gives the package
  await mkdir(path.join(dir, 'node_modules'));
  await symlink(REPO, path.join(dir, 'node_modules', 'peerchat'), 'dir');
  const run = await execa(process.execPath, ['--test', '--test-reporter=tap'], {
    cwd: dir,
    env: { NODE_OPTIONS: '', NODE_V8_COVERAGE: '', NO_COLOR: '1' },
    reject: false,
    timeout: 60_000,
  });
  if (run.exitCode !== 0) t.comment(run.stdout, run.stderr);
  t.equal(run.exitCode, 0, 'node --test passes');
  t.match(run.stdout, /# pass 2\n# fail 0/);
});

t.test('--json prints the result; a bad name or a non-empty directory is a usage error', async (t) => {
  const cwd = newDir();
  const res = await runCli(['plugin', 'new', 'peerchat-plugin-echo', '--dir', 'echo', '--json'], { cwd });
  t.equal(res.code, 0);
  t.match(JSON.parse(res.stdout), {
    type: 'result',
    value: { path: path.join(cwd, 'echo'), package: 'peerchat-plugin-echo', plugin: 'echo' },
  });

  const again = await runCli(['plugin', 'new', 'echo', '--dir', 'echo'], { cwd });
  t.equal(again.code, 2);
  t.match(again.stderr, /exists and is not empty .*\(ERR_USAGE\)/);

  const bad = await runCli(['plugin', 'new', 'Not OK'], { cwd });
  t.equal(bad.code, 2);
  t.match(bad.stderr, /not a plugin name: "Not OK"/);

  await writeFile(path.join(cwd, 'x'), '');
  const none = await runCli(['plugin'], { cwd });
  t.equal(none.code, 2, 'plugin without a subcommand');
});

t.test('an unknown plugin subcommand is a usage error (exit 2), not a silent success', async (t) => {
  const res = await runCli(['plugin', 'bogus'], { cwd: newDir() });
  t.equal(res.code, 2);
  t.match(res.stderr, /unknown command "plugin bogus"; try: peerchat plugin new <name> \(ERR_USAGE\)/);
});
