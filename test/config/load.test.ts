import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { type LoadOptions, loadConfig, osUserName, sanitizeName } from '../../src/config/load.js';
import { isPeerchatError } from '../../src/errors.js';

// a root of our own: the upward search stops here, the user config dir lives here
async function sandbox(t: {
  teardown(fn: () => unknown): void;
}): Promise<{ root: string; opts: (o?: LoadOptions) => LoadOptions }> {
  const root = await realpath(await mkdtemp(path.join(os.tmpdir(), 'peerchat-config-')));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const userConfigDir = path.join(root, 'user-config');
  await mkdir(userConfigDir);
  const opts = (o: LoadOptions = {}): LoadOptions => ({
    stopDir: root,
    userConfigDir,
    env: { PEERCHAT_DATA_DIR: path.join(root, 'data') },
    ...o,
  });
  return { root, opts };
}

async function write(file: string, text: string): Promise<string> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, text);
  return file;
}

async function rejection(p: Promise<unknown>): Promise<{ code: string; message: string; cause?: unknown }> {
  try {
    await p;
  } catch (err) {
    if (isPeerchatError(err)) return { code: err.code, message: err.message, cause: err.cause };
    throw err;
  }
  throw new Error('expected a rejection');
}

t.test('no file: defaults, filepath null, baseDir = cwd', async (t) => {
  const { root, opts } = await sandbox(t);
  const r = await loadConfig(opts({ cwd: root, flags: { name: 'alice' } }));
  t.equal(r.filepath, null);
  t.equal(r.baseDir, root);
  t.equal(r.config.name, 'alice');
  t.equal(r.config.port, 0);
  t.equal(r.config.dataDir, path.join(root, 'data'));
});

t.test('.peerchatrc.json is found from a nested cwd', async (t) => {
  const { root, opts } = await sandbox(t);
  const file = await write(
    path.join(root, 'proj', '.peerchatrc.json'),
    JSON.stringify({ name: 'bob', port: 5001 }),
  );
  const nested = path.join(root, 'proj', 'a', 'b');
  await mkdir(nested, { recursive: true });
  const r = await loadConfig(opts({ cwd: nested }));
  t.equal(r.filepath, file);
  t.equal(r.baseDir, path.dirname(file));
  t.equal(r.config.name, 'bob');
  t.equal(r.config.port, 5001);
});

t.test('package.json "peerchat" field', async (t) => {
  const { root, opts } = await sandbox(t);
  const file = await write(
    path.join(root, 'package.json'),
    JSON.stringify({ name: 'x', peerchat: { name: 'pkg', autoConnect: ['127.0.0.1:5000'] } }),
  );
  const r = await loadConfig(opts({ cwd: root }));
  t.equal(r.filepath, file);
  t.equal(r.config.name, 'pkg');
  t.same(r.config.autoConnect, ['127.0.0.1:5000']);
});

t.test('a package.json without the field is skipped, the search goes on upwards', async (t) => {
  const { root, opts } = await sandbox(t);
  await write(path.join(root, 'proj', 'package.json'), JSON.stringify({ name: 'x' }));
  const file = await write(path.join(root, '.peerchatrc'), 'name: up\n');
  const r = await loadConfig(opts({ cwd: path.join(root, 'proj') }));
  t.equal(r.filepath, file);
  t.equal(r.config.name, 'up');
});

t.test('.peerchatrc.yaml', async (t) => {
  const { root, opts } = await sandbox(t);
  await write(path.join(root, '.peerchatrc.yaml'), 'name: yam\ntimeouts:\n  connect: 1234\nrooms: [lobby]\n');
  const r = await loadConfig(opts({ cwd: root }));
  t.equal(r.config.name, 'yam');
  t.equal(r.config.timeouts.connect, 1234);
  t.equal(r.config.timeouts.handshake, 10_000);
  t.same(r.config.rooms, ['lobby']);
});

t.test('peerchat.config.mjs and peerchat.config.json', async (t) => {
  const { root, opts } = await sandbox(t);
  const mjs = path.join(root, 'm');
  await write(path.join(mjs, 'peerchat.config.mjs'), "export default { name: 'esm', store: false };\n");
  const r = await loadConfig(opts({ cwd: mjs }));
  t.equal(r.config.name, 'esm');
  t.equal(r.config.store, false);
  const json = path.join(root, 'j');
  await write(path.join(json, 'peerchat.config.json'), '{"name":"js0n"}');
  t.equal((await loadConfig(opts({ cwd: json }))).config.name, 'js0n');
});

t.test('the user config directory is searched last', async (t) => {
  const { root, opts } = await sandbox(t);
  const userFile = await write(
    path.join(root, 'user-config', 'config.json'),
    '{"name":"fromuser","port":7000}',
  );
  const work = path.join(root, 'work');
  await mkdir(work);
  const r = await loadConfig(opts({ cwd: work }));
  t.equal(r.filepath, userFile);
  t.equal(r.config.name, 'fromuser');
  const off = await loadConfig(opts({ cwd: work, searchUserConfig: false, flags: { name: 'x' } }));
  t.equal(off.filepath, null, 'searchUserConfig: false skips it');
  await write(path.join(work, '.peerchatrc.json'), '{"name":"project"}');
  t.equal((await loadConfig(opts({ cwd: work }))).config.name, 'project', 'a project file wins');
});

t.test('--config names a file explicitly; PEERCHAT_CONFIG too', async (t) => {
  const { root, opts } = await sandbox(t);
  await write(path.join(root, '.peerchatrc.json'), '{"name":"searched"}');
  const file = await write(path.join(root, 'conf', 'custom.yml'), 'name: explicit\n');
  const r = await loadConfig(opts({ cwd: root, configPath: 'conf/custom.yml' }));
  t.equal(r.filepath, file);
  t.equal(r.config.name, 'explicit');
  const viaEnv = await loadConfig(opts({ cwd: root, env: { PEERCHAT_CONFIG: file } }));
  t.equal(viaEnv.config.name, 'explicit');
});

t.test('--config naming a missing file is ERR_CONFIG_NOT_FOUND', async (t) => {
  const { root, opts } = await sandbox(t);
  const e = await rejection(loadConfig(opts({ cwd: root, configPath: 'missing.json' })));
  t.equal(e.code, 'ERR_CONFIG_NOT_FOUND');
  t.match(e.message, path.join(root, 'missing.json'));
  t.match(e.message, '--config');
  const viaEnv = await rejection(
    loadConfig(opts({ cwd: root, env: { PEERCHAT_CONFIG: '/nonexistent/x.json' } })),
  );
  t.equal(viaEnv.code, 'ERR_CONFIG_NOT_FOUND');
  t.match(viaEnv.message, 'PEERCHAT_CONFIG');
});

t.test('precedence: flags > env > config file > defaults', async (t) => {
  const { root, opts } = await sandbox(t);
  await write(
    path.join(root, '.peerchatrc.json'),
    JSON.stringify({ name: 'file', port: 1000, host: '127.0.0.1', logLevel: 'warn' }),
  );
  const env = { PEERCHAT_NAME: 'env', PEERCHAT_PORT: '2000', PEERCHAT_DATA_DIR: path.join(root, 'd') };
  const r = await loadConfig(opts({ cwd: root, env, flags: { name: 'flag' } }));
  t.equal(r.config.name, 'flag', 'flag beats env and file');
  t.equal(r.config.port, 2000, 'env beats file');
  t.equal(r.config.host, '127.0.0.1', 'file beats default');
  t.equal(r.config.logLevel, 'warn');
  t.equal(r.config.classic, true, 'default');
});

t.test('env variables', async (t) => {
  const { root, opts } = await sandbox(t);
  const r = await loadConfig(
    opts({
      cwd: root,
      env: {
        PEERCHAT_NAME: 'e',
        PEERCHAT_HOST: '127.0.0.1',
        PEERCHAT_PORT: '4000',
        PEERCHAT_DATA_DIR: 'rel/data',
        PEERCHAT_LOG_LEVEL: 'debug',
        PEERCHAT_CLASSIC: 'false',
        PEERCHAT_STORE: '0',
        NO_COLOR: '1',
        PEERCHAT_EMPTY: '',
      },
    }),
  );
  t.equal(r.config.host, '127.0.0.1');
  t.equal(r.config.port, 4000);
  t.equal(r.config.dataDir, path.join(root, 'rel', 'data'), 'relative to cwd');
  t.equal(r.config.logLevel, 'debug');
  t.equal(r.config.classic, false);
  t.equal(r.config.store, false);
  t.equal(r.config.color, false, 'NO_COLOR');
  const empty = await loadConfig(opts({ cwd: root, env: { PEERCHAT_NAME: '', NO_COLOR: '' } }));
  t.not(empty.config.name, '', 'empty values are unset');
  t.equal(empty.config.color, null);
});

t.test('a bad env value names the variable', async (t) => {
  const { root, opts } = await sandbox(t);
  const e = await rejection(loadConfig(opts({ cwd: root, env: { PEERCHAT_PORT: 'abc' } })));
  t.equal(e.code, 'ERR_CONFIG_INVALID');
  t.equal(e.message, 'environment: PEERCHAT_PORT: expected a number, found "abc"');
  const b = await rejection(loadConfig(opts({ cwd: root, env: { PEERCHAT_CLASSIC: 'maybe' } })));
  t.equal(b.message, 'environment: PEERCHAT_CLASSIC: expected a boolean, found "maybe"');
});

t.test('bad flags are ERR_USAGE naming the flag', async (t) => {
  const { root, opts } = await sandbox(t);
  const e = await rejection(
    loadConfig(opts({ cwd: root, flags: { name: 'a b', autoConnect: ['127.0.0.1:1', 'x'] } })),
  );
  t.equal(e.code, 'ERR_USAGE');
  t.match(e.message, '--name: expected a name without any whitespace, found "a b"');
  t.match(e.message, '--connect[1]: expected an "ip:port" address');
});

t.test('list flags add to the configured lists (deduplicated)', async (t) => {
  const { root, opts } = await sandbox(t);
  await write(
    path.join(root, '.peerchatrc.json'),
    JSON.stringify({ name: 'n', autoConnect: ['127.0.0.1:1'], rooms: ['a'], plugins: ['pkg-a'] }),
  );
  const r = await loadConfig(
    opts({
      cwd: root,
      flags: { autoConnect: ['127.0.0.1:2', '127.0.0.1:1'], rooms: ['b'], plugins: ['pkg-b'] },
    }),
  );
  t.same(r.config.autoConnect, ['127.0.0.1:1', '127.0.0.1:2']);
  t.same(r.config.rooms, ['a', 'b']);
  t.same(r.config.plugins, ['pkg-a', 'pkg-b']);
});

t.test('relative plugin paths and dataDir resolve against the file that names them', async (t) => {
  const { root, opts } = await sandbox(t);
  const proj = path.join(root, 'proj');
  await write(
    path.join(proj, '.peerchatrc.json'),
    JSON.stringify({
      name: 'n',
      dataDir: './state',
      plugins: ['./plugins/a.js', ['../b.mjs', { x: 1 }], 'pkg', '/abs/c.js'],
    }),
  );
  const cwd = path.join(proj, 'sub');
  await mkdir(cwd);
  const r = await loadConfig(opts({ cwd, env: {}, flags: { plugins: ['./flag.js'] } }));
  t.same(r.config.plugins, [
    path.join(proj, 'plugins', 'a.js'),
    [path.join(root, 'b.mjs'), { x: 1 }],
    'pkg',
    '/abs/c.js',
    path.join(cwd, 'flag.js'),
  ]);
  t.equal(r.config.dataDir, path.join(proj, 'state'));
  t.equal(r.baseDir, proj);
});

t.test(
  'a bad file: the error names the file, the key path, what was expected and what was found',
  async (t) => {
    const { root, opts } = await sandbox(t);
    const file = await write(
      path.join(root, '.peerchatrc.json'),
      JSON.stringify({ autoConnect: ['127.0.0.1:5000', { address: 'not-an-address' }] }),
    );
    const e = await rejection(loadConfig(opts({ cwd: root })));
    t.equal(e.code, 'ERR_CONFIG_INVALID');
    t.equal(
      e.message,
      `${file}: autoConnect[1].address: expected an "ip:port" address such as "127.0.0.1:5000", found "not-an-address"`,
    );
  },
);

t.test('several problems in one file are all reported', async (t) => {
  const { root, opts } = await sandbox(t);
  const file = await write(path.join(root, '.peerchatrc.yml'), 'prot: 5\nport: -1\ntimeouts:\n  ack: fast\n');
  const e = await rejection(loadConfig(opts({ cwd: root })));
  t.equal(e.code, 'ERR_CONFIG_INVALID');
  t.match(e.message, `${file}: `);
  t.match(e.message, 'prot: unknown key (did you mean "port"?)');
  t.match(e.message, 'port: expected a whole number from 0 to 65535 (0: any free port), found -1');
  t.match(e.message, 'timeouts.ack: expected a number, found "fast"');
});

t.test('a file that cannot be parsed, or is not an object', async (t) => {
  const { root, opts } = await sandbox(t);
  const broken = await write(path.join(root, 'a', '.peerchatrc.json'), '{"name": ');
  const e = await rejection(loadConfig(opts({ cwd: path.dirname(broken) })));
  t.equal(e.code, 'ERR_CONFIG_INVALID');
  t.match(e.message, `${broken}: cannot be read`);
  const list = await write(path.join(root, 'b', '.peerchatrc.json'), '[1, 2]');
  const l = await rejection(loadConfig(opts({ cwd: path.dirname(list) })));
  t.equal(l.message, `${list}: expected an object of settings, found a list [1,2]`);
  const throwing = await write(path.join(root, 'c', 'peerchat.config.mjs'), "throw new Error('boom');\n");
  const j = await rejection(loadConfig(opts({ cwd: path.dirname(throwing) })));
  t.equal(j.code, 'ERR_CONFIG_INVALID');
  t.match(j.message, 'boom');
  // Node reports a JavaScript config's syntax error without a position: the message gives it
  const mjs = await write(
    path.join(root, 'd', 'peerchat.config.mjs'),
    "export default {\n  name: 'x',,\n};\n",
  );
  const m = await rejection(loadConfig(opts({ cwd: path.dirname(mjs) })));
  t.equal(m.code, 'ERR_CONFIG_INVALID');
  t.equal(m.message, `${mjs}: cannot be read: Unexpected token ',' (line 2, column 13)`);
  t.type(m.cause, SyntaxError, 'the parser error is kept as the cause');
  // a file that says null is not skipped as if there were no file
  for (const [name, body] of [
    ['.peerchatrc.json', 'null\n'],
    ['.peerchatrc.yml', '~\n'],
    ['peerchat.config.mjs', 'export default null;\n'],
  ] as const) {
    const file = await write(path.join(root, `null-${name}`, name), body);
    const n = await rejection(loadConfig(opts({ cwd: path.dirname(file) })));
    t.equal(n.message, `${file}: expected an object of settings, found null`, name);
  }
  const comments = await write(path.join(root, 'comments', '.peerchatrc.yml'), '# settings go here\n');
  const c0 = await loadConfig(opts({ cwd: path.dirname(comments) }));
  t.match(c0.warnings, [{ code: 'ERR_CONFIG_EMPTY' }], 'comments only: empty, warned');
  const cjs = await write(
    path.join(root, 'e', 'peerchat.config.cjs'),
    "module.exports = {\n  name: 'x'\n  port: 0,\n};\n",
  );
  const c = await rejection(loadConfig(opts({ cwd: path.dirname(cjs) })));
  t.equal(c.message, `${cjs}: cannot be read: Unexpected identifier 'port' (line 3, column 3)`);
});

t.test('name: prompt when given, else the OS user name', async (t) => {
  const { root, opts } = await sandbox(t);
  const asked = await loadConfig(opts({ cwd: root, promptName: async () => 'typed' }));
  t.equal(asked.config.name, 'typed');
  const fallback = await loadConfig(opts({ cwd: root }));
  t.equal(fallback.config.name, osUserName());
  let calls = 0;
  const configured = await loadConfig(
    opts({
      cwd: root,
      flags: { name: 'given' },
      promptName: async () => {
        calls++;
        return 'never';
      },
    }),
  );
  t.equal(configured.config.name, 'given');
  t.equal(calls, 0, 'no prompt when a name is configured');
});

t.test('sanitizeName makes any OS user name a valid peer name', async (t) => {
  t.equal(sanitizeName('John Smith'), 'JohnSmith');
  t.equal(sanitizeName('x'.repeat(40)), 'x'.repeat(32));
  t.equal(sanitizeName('  '), 'peer');
  t.equal(sanitizeName(''), 'peer');
});

t.test('dataDir defaults to the platform data directory', async (t) => {
  const { root, opts } = await sandbox(t);
  const r = await loadConfig(opts({ cwd: root, env: {}, flags: { name: 'n' } }));
  t.ok(path.isAbsolute(r.config.dataDir));
  t.match(r.config.dataDir, /peerchat$/);
});
