/** End to end: the built binary (bin/peerchat.js -> dist/cli/main.js) as a real process. */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, realpath, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import t from 'tap';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const bin = path.join(repo, 'bin', 'peerchat.js');
const BUILD_TIMEOUT_MS = 120_000;

t.setTimeout(BUILD_TIMEOUT_MS + 60_000);

// `npm test` builds first (pretest); a bare `tap test/cli` builds here when dist/ is missing
if (!existsSync(path.join(repo, 'dist', 'cli', 'main.js'))) {
  await execa('npx', ['tsc', '-p', 'tsconfig.build.json'], {
    cwd: repo,
    reject: false,
    timeout: BUILD_TIMEOUT_MS,
  });
}

const root = await realpath(await mkdtemp(path.join(os.tmpdir(), 'peerchat-bin-')));
t.teardown(() => rm(root, { recursive: true, force: true }));
const env = {
  HOME: root,
  XDG_CONFIG_HOME: path.join(root, 'config'),
  XDG_DATA_HOME: path.join(root, 'data'),
  PEERCHAT_DATA_DIR: path.join(root, 'peerchat-data'),
  NO_COLOR: '1',
};

function peerchat(
  args: string[],
  cwd = root,
  extraNodeArgs: string[] = [],
  extraEnv: Record<string, string> = {},
) {
  // the Node running the tests: with extendEnv false there is no PATH, and `node` found the
  // machine's own (Node 20 on CI machines), which peerchat refuses
  return execa(process.execPath, [...extraNodeArgs, bin, ...args], {
    cwd,
    env: { ...env, ...extraEnv },
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
    timeout: 30_000,
  });
}

t.test('the shim is executable and starts with a node shebang', async (t) => {
  const st = await stat(bin);
  t.ok(st.mode & 0o111, 'executable');
  t.match(await readFile(bin, 'utf8'), /^#!\/usr\/bin\/env node\n/);
});

t.test(
  "compiled code is kept in the user's cache directory, unless NODE_DISABLE_COMPILE_CACHE is set",
  async (t) => {
    const home = await realpath(await mkdtemp(path.join(os.tmpdir(), 'peerchat-cache-')));
    t.teardown(() => rm(home, { recursive: true, force: true }));
    const cache = path.join(home, 'xdg-cache');
    const off = await peerchat(['--version'], root, [], {
      XDG_CACHE_HOME: cache,
      NODE_DISABLE_COMPILE_CACHE: '1',
    });
    t.equal(off.exitCode, 0);
    t.notOk(existsSync(path.join(cache, 'peerchat')), 'nothing written with the cache disabled');
    const on = await peerchat(['--version'], root, [], { XDG_CACHE_HOME: cache });
    t.equal(on.exitCode, 0);
    const dir = path.join(cache, 'peerchat', 'compile-cache');
    t.ok((await readdir(dir)).length > 0, `${dir} holds the cache`);
  },
);

t.test('--version and --help exit 0', async (t) => {
  const v = await peerchat(['--version']);
  t.equal(v.exitCode, 0);
  t.match(v.stdout, /^\d+\.\d+\.\d+/);
  const h = await peerchat(['--help']);
  t.equal(h.exitCode, 0);
  t.match(h.stdout, 'Examples:');
});

t.test(
  '--help wraps at the terminal width between words; own options come before the global ones',
  async (t) => {
    const words = (text: string) => text.split(/\s+/).filter(Boolean).sort();
    for (const args of [['--help'], ['history', '--help'], ['send', '--help'], ['export', '--help']]) {
      const narrow = await peerchat(args, root, [], { COLUMNS: '80' });
      const wide = await peerchat(args, root, [], { COLUMNS: '120' });
      t.equal(narrow.exitCode, 0);
      const long = narrow.stdout.split('\n').filter((l) => l.length > 80);
      t.same(long, [], `${args.join(' ')}: no line wider than 80 columns`);
      t.ok(
        wide.stdout.split('\n').some((l) => l.length > 80),
        `${args.join(' ')}: a wider terminal gets wider lines`,
      );
      t.same(words(narrow.stdout), words(wide.stdout), `${args.join(' ')}: no word is cut at 80 columns`);
      const own = narrow.stdout.indexOf('\nOptions:');
      const global = narrow.stdout.indexOf('\nGlobal options:');
      t.ok(global > 0, `${args.join(' ')}: global options under their own heading`);
      if (args[0] !== 'send') t.ok(own > 0 && own < global, `${args.join(' ')}: its own options first`);
      t.equal(narrow.stdout.indexOf('--data-dir'), narrow.stdout.lastIndexOf('--data-dir'), 'listed once');
    }
  },
);

t.test('a usage error exits 2 with one line on stderr', async (t) => {
  const r = await peerchat(['--prot', '1']);
  t.equal(r.exitCode, 2);
  t.equal(r.stdout, '');
  t.equal(
    r.stderr,
    'peerchat: unknown option --prot (did you mean --port?) (see peerchat --help) (ERR_USAGE)',
  );
  const j = await peerchat(['--json', 'sned']);
  t.equal(j.exitCode, 2);
  t.same(JSON.parse(j.stdout), {
    type: 'error',
    code: 'ERR_USAGE',
    message: 'unknown command "sned" (did you mean "send"?) (see peerchat --help)',
  });
});

t.test('send to an address without a port is a usage error (exit 2)', async (t) => {
  const r = await peerchat(['send', '127.0.0.1', 'hi']);
  t.equal(r.exitCode, 2);
  t.equal(r.stderr, 'peerchat: "127.0.0.1" has no port: give "ip:port", e.g. 127.0.0.1:5000 (ERR_USAGE)');
  const v6 = await peerchat(['send', '::1', 'hi']);
  t.equal(v6.exitCode, 2);
  t.match(v6.stderr, /e\.g\. \[::1\]:5000/);
  const port = await peerchat(['send', '127.0.0.1:99999', 'hi']);
  t.equal(port.exitCode, 2);
  t.match(port.stderr, /the port must be a number from 1 to 65535 \(ERR_USAGE\)/);
  const json = await peerchat(['send', '--json', '127.10.0.1', 'hi']);
  t.equal(json.exitCode, 2);
  t.match(JSON.parse(json.stdout), { type: 'error', code: 'ERR_USAGE', message: /has no port/ });
});

t.test('a bad config file exits 2 naming the file', async (t) => {
  const dir = path.join(root, 'bad');
  await mkdir(dir);
  await writeFile(path.join(dir, '.peerchatrc.yaml'), 'port: high\n');
  const r = await peerchat(['--name', 'a'], dir);
  t.equal(r.exitCode, 2);
  t.equal(
    r.stderr,
    `peerchat: ${path.join(dir, '.peerchatrc.yaml')}: port: expected a number, found "high" (ERR_CONFIG_INVALID)`,
  );
});

t.test('a config syntax error shows the parser reason with line and column', async (t) => {
  const dir = path.join(root, 'syntax');
  await mkdir(dir);
  const json = path.join(dir, '.peerchatrc.json');
  await writeFile(json, '{\n  "name": "a",\n  "port": 5000,,\n}\n');
  const r = await peerchat(['id'], dir);
  t.equal(r.exitCode, 2);
  t.match(
    r.stderr,
    /^peerchat: .*\.peerchatrc\.json: cannot be read: Expected double-quoted property name in JSON at position \d+ \(line 3, column 16\) \(ERR_CONFIG_INVALID\)$/,
  );
  await writeFile(json, '{\n  "name": }\n');
  const v8 = await peerchat(['id'], dir);
  t.equal(v8.exitCode, 2);
  t.match(
    v8.stderr,
    /cannot be read: Unexpected token .* \(line 2, column 11\) \(ERR_CONFIG_INVALID\)$/,
    'a reason without a position gets one',
  );
  await rm(json);
  await writeFile(path.join(dir, '.peerchatrc.yaml'), 'name: a\nport: [1\n');
  const y = await peerchat(['id'], dir);
  t.equal(y.exitCode, 2);
  t.match(
    y.stderr,
    /\.peerchatrc\.yaml: cannot be read: .+ \(line \d+, column \d+\) \(ERR_CONFIG_INVALID\)$/,
  );
  t.notMatch(y.stderr, /-----\^/, 'no code frame');
});

t.test('an empty config file gives a warning', async (t) => {
  const dir = path.join(root, 'empty');
  await mkdir(dir);
  await writeFile(path.join(dir, '.peerchatrc.json'), '');
  const r = await peerchat(['id'], dir);
  t.equal(r.exitCode, 0, r.stderr);
  t.match(
    r.stderr,
    /peerchat: warning ERR_CONFIG_EMPTY: .*\.peerchatrc\.json is empty: no settings were read from it/,
  );
  t.match(r.stdout, /[0-9a-f]{64}/, 'the command still runs');
});

t.test('the config search stops at the home directory', async (t) => {
  const top = path.join(root, 'above');
  const home = path.join(top, 'home');
  const project = path.join(home, 'project');
  await mkdir(project, { recursive: true });
  await writeFile(path.join(top, '.peerchatrc.json'), '{ "port": "not a port" }\n');
  const r = await peerchat(['id'], project, [], { HOME: home });
  t.equal(r.exitCode, 0, `a config above $HOME is not read (${r.stderr})`);
  const inside = await peerchat(['id'], project, [], { HOME: top });
  t.equal(inside.exitCode, 2, 'the same file is read when it is inside $HOME');
  t.match(inside.stderr, /above\/\.peerchatrc\.json/);
});

t.test('init, then init again without --force', async (t) => {
  const dir = path.join(root, 'init');
  await mkdir(dir);
  const first = await peerchat(['init', '--name', 'alice'], dir);
  t.equal(first.exitCode, 0, first.stderr);
  t.same(await readdir(dir), ['.peerchatrc.json']);
  const second = await peerchat(['init'], dir);
  t.equal(second.exitCode, 2);
  t.match(second.stderr, 'already exists (use --force to overwrite it)');
});

t.test('id prints the key, the same on every run, inside PEERCHAT_DATA_DIR', async (t) => {
  const a = await peerchat(['id', '--json']);
  t.equal(a.exitCode, 0, a.stderr);
  const b = await peerchat(['id', '--json']);
  const va = (JSON.parse(a.stdout) as { value: { id: string; dataDir: string } }).value;
  t.match(va.id, /^[0-9a-f]{64}$/);
  t.equal(va.dataDir, env.PEERCHAT_DATA_DIR);
  t.equal((JSON.parse(b.stdout) as { value: { id: string } }).value.id, va.id);
});

t.test('commands load only what they need', async (t) => {
  // a resolve hook records every module the process loads
  const dir = path.join(root, 'trace');
  await mkdir(dir);
  await writeFile(
    path.join(dir, 'hooks.mjs'),
    "import { appendFileSync } from 'node:fs';\n" +
      'export async function resolve(spec, ctx, next) {\n' +
      '  const r = await next(spec, ctx);\n' +
      "  appendFileSync(process.env.PEERCHAT_TRACE, r.url + '\\n');\n" +
      '  return r;\n' +
      '}\n',
  );
  await writeFile(
    path.join(dir, 'register.mjs'),
    "import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n",
  );
  const trace = async (args: string[]): Promise<string[]> => {
    const file = path.join(dir, `${args.join('_') || 'none'}.log`);
    const r = await peerchat(args, dir, ['--import', path.join(dir, 'register.mjs')], {
      PEERCHAT_TRACE: file,
    });
    t.equal(r.exitCode, 0, `${args.join(' ')}: ${r.stderr}`);
    return (await readFile(file, 'utf8')).split('\n').filter(Boolean);
  };
  const heavy = /hyperswarm|hyperdht|better-sqlite3|\/dist\/(peer|store|rooms|repl|plugins|net)\//;
  for (const args of [['--help'], ['completion'], ['init', '--name', 'x']]) {
    const loaded = await trace(args);
    t.ok(
      loaded.some((u) => u.includes('/dist/cli/main.js')),
      `${args[0]}: the trace works`,
    );
    t.same(
      loaded.filter((u) => heavy.test(u)),
      [],
      `${args[0]} loads no network, store or DHT code`,
    );
  }
  const help = await trace(['--help']);
  t.same(
    help.filter((u) => /cosmiconfig|\/zod\//.test(u)),
    [],
    '--help does not load the config loader',
  );
  const id = await trace(['id']);
  t.same(
    id.filter((u) => /hyperswarm|hyperdht|better-sqlite3|\/dist\/(peer|store|rooms|repl)\//.test(u)),
    [],
    'id loads the identity module only',
  );
});
