/**
 * The package as users get it: `npm pack` (its prepack builds dist/), `npm install -g` of the
 * tarball into a temporary prefix, and `npx <tarball>`. Packed once, installed once. The global
 * install reads the npm cache first (--prefer-offline); npx gets a temporary cache of its own,
 * so its dependencies come from the npm registry.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, realpath, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import t from 'tap';
import { REPO } from './harness.js';

const STEP_MS = 120_000;
t.setTimeout(6 * STEP_MS);

const VERSION = (JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string })
  .version;

const root = await realpath(await mkdtemp(path.join(os.tmpdir(), 'peerchat-pkg-')));
t.teardown(() => rm(root, { recursive: true, force: true }));
const prefix = path.join(root, 'prefix');
/** What `npm pack` needs to build and pack (no dist/: prepack must build it). */
const SOURCES = [
  'package.json',
  'README.md',
  'config.example.json',
  'tsconfig.json',
  'tsconfig.build.json',
  'bin',
  'plugins',
  'src',
  'types',
];

/** npm and the product run without tap's loader and without npm settings of an enclosing `npm test`. */
function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || /^(npm_|NODE_OPTIONS$|NODE_V8_COVERAGE$|TAP|_TAPJS|PEERCHAT_)/i.test(k)) continue;
    env[k] = v;
  }
  if (process.env.npm_config_nodedir) env.npm_config_nodedir = process.env.npm_config_nodedir;
  return { ...env, NO_COLOR: '1', npm_config_update_notifier: 'false', ...extra };
}

function run(file: string, args: string[], cwd: string, extra: Record<string, string> = {}) {
  return execa(file, args, {
    cwd,
    env: cleanEnv(extra),
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
    timeout: STEP_MS,
  });
}

// packed from a copy of the sources, so prepack builds the copy's dist/ and never rewrites the
// dist/ that other integration tests are running at the same time
const source = path.join(root, 'source');
for (const entry of SOURCES) await cp(path.join(REPO, entry), path.join(source, entry), { recursive: true });
await symlink(path.join(REPO, 'node_modules'), path.join(source, 'node_modules'), 'dir');
const packed = await run('npm', ['pack', '--pack-destination', root, '--silent'], source);
const tarball = path.join(root, packed.stdout.trim().split('\n').pop() ?? '');

t.test('npm pack makes a tarball with dist, types, bin and the first-party plugins only', async (t) => {
  t.equal(packed.exitCode, 0, packed.stderr);
  t.equal(path.basename(tarball), `peerchat-${VERSION}.tgz`);
  const list = await run('tar', ['-tzf', tarball], root);
  const files = new Set(list.stdout.split('\n').map((f) => f.replace(/^package\//, '')));
  for (const f of [
    'package.json',
    'README.md',
    'bin/peerchat.js',
    'dist/index.js',
    'dist/index.d.ts',
    'dist/testing.js',
    'dist/testing.d.ts',
    'dist/cli/main.js',
    'dist/version.js',
    'plugins/filter/index.js',
    'plugins/logger/README.md',
    'config.example.json',
  ]) {
    t.ok(files.has(f), `has ${f}`);
  }
  const stray = [...files].filter((f) => /^(src|test|integration|bench|\.tap|node_modules)\//.test(f));
  t.same(stray, [], 'no sources, tests or dev files');
});

t.test('npm install -g in a clean prefix: peerchat --version, --help and a loose plugin work', async (t) => {
  const install = await run(
    'npm',
    ['install', '-g', tarball, '--prefer-offline', '--no-audit', '--no-fund'],
    root,
    { npm_config_prefix: prefix },
  );
  t.equal(install.exitCode, 0, install.stderr);
  const bin = path.join(prefix, 'bin', 'peerchat');

  const version = await run(bin, ['--version'], root);
  t.equal(version.exitCode, 0, version.stderr);
  t.equal(version.stdout.trim(), VERSION, 'the version of package.json');

  const help = await run(bin, ['--help'], root);
  t.equal(help.exitCode, 0, help.stderr);
  t.match(help.stdout, /peerchat \[command\] \[options\]/);
  t.match(help.stdout, /peerchat plugin/);

  // the first step: a loose plugin next to the user's files imports 'peerchat'
  const work = path.join(root, 'work');
  await mkdir(work);
  writeFileSync(
    path.join(work, 'welcome.js'),
    "import { definePlugin, version } from 'peerchat';\n" +
      "export default definePlugin({ name: 'welcome', setup(api) { api.addHelper('welcomed', () => version); } });\n",
  );
  const data = path.join(root, 'data');
  const evaluated = await run(
    bin,
    [
      '--plugin',
      './welcome.js',
      '--data-dir',
      data,
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--name',
      'u',
      '--json',
      '-e',
      'peer.welcomed()',
    ],
    work,
    { HOME: root },
  );
  t.equal(evaluated.exitCode, 0, evaluated.stderr);
  t.same(JSON.parse(evaluated.stdout.trim().split('\n').pop()!), { type: 'result', value: VERSION });

  // embedders: the installed package's entries resolve through its "exports"
  const consumer = path.join(root, 'consumer');
  await mkdir(path.join(consumer, 'node_modules'), { recursive: true });
  await symlink(
    path.join(prefix, 'lib', 'node_modules', 'peerchat'),
    path.join(consumer, 'node_modules', 'peerchat'),
  );
  writeFileSync(
    path.join(consumer, 'check.mjs'),
    "const a = await import('peerchat'); const b = await import('peerchat/testing');\n" +
      'console.log(JSON.stringify([typeof a.Peer, typeof a.definePlugin, typeof b.startPeer]));\n',
  );
  const imported = await run(process.execPath, ['check.mjs'], consumer);
  t.equal(imported.exitCode, 0, imported.stderr);
  t.same(JSON.parse(imported.stdout), ['function', 'function', 'function']);

  // TypeScript users: the shipped declarations check strictly, without skipLibCheck
  const installed = path.join(prefix, 'lib', 'node_modules', 'peerchat');
  writeFileSync(
    path.join(consumer, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        noEmit: true,
        skipLibCheck: false,
        types: ['node'],
        typeRoots: [path.join(installed, 'node_modules', '@types')],
      },
      files: ['plugin.ts'],
    }),
  );
  writeFileSync(path.join(consumer, 'package.json'), '{ "type": "module" }\n');
  writeFileSync(
    path.join(consumer, 'plugin.ts'),
    "import { definePlugin, type Peer, z } from 'peerchat';\n" +
      "import { startPeer } from 'peerchat/testing';\n" +
      'export default definePlugin({\n' +
      "  name: 'typed',\n" +
      '  options: z.object({ greeting: z.string() }).strict(),\n' +
      '  setup: (api, options) => ({ onPeerConnected: (p) => void api.send(p.address, options.greeting) }),\n' +
      '});\n' +
      'export const start: typeof startPeer = startPeer;\n' +
      'export type P = Peer;\n',
  );
  const tsc = await run(
    process.execPath,
    [path.join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'],
    consumer,
  );
  t.equal(tsc.exitCode, 0, `tsc: ${tsc.stdout}${tsc.stderr}`);
});

t.test('npx <tarball> --version', async (t) => {
  const cache = path.join(root, 'npx-cache');
  const npx = await run('npx', ['--yes', `./${path.basename(tarball)}`, '--version'], root, {
    npm_config_cache: cache,
  });
  t.equal(npx.exitCode, 0, npx.stderr);
  t.equal(npx.stdout.trim(), VERSION);
  t.ok((await readdir(path.join(cache, '_npx'))).length > 0, 'npx installed it in its own cache');
});
