import { mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import t from 'tap';
import { main } from '../../src/cli/main.js';
import type { RunMode } from '../../src/cli/run-peer.js';
import type { Config } from '../../src/config/schema.js';
import { PeerchatError } from '../../src/errors.js';

// every test runs against a sandbox: no real user config or data directory is touched
const root = await realpath(await mkdtemp(path.join(os.tmpdir(), 'peerchat-cli-')));
t.teardown(() => rm(root, { recursive: true, force: true }));
process.env.XDG_CONFIG_HOME = path.join(root, 'xdg-config');
process.env.XDG_DATA_HOME = path.join(root, 'xdg-data');

interface Call {
  config: Config;
  mode: RunMode;
}
const calls: Call[] = [];
let nextResult: () => Promise<number> = async () => 0;

async function runPeer(config: Config, mode: RunMode): Promise<number> {
  calls.push({ config, mode });
  return nextResult();
}

let dirCount = 0;
async function workdir(): Promise<string> {
  const dir = path.join(root, `w${dirCount++}`);
  await mkdir(dir, { recursive: true });
  return dir;
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  call: Call | undefined;
}

async function run(
  argv: string[],
  o: { cwd?: string; env?: NodeJS.ProcessEnv; stdin?: PassThrough } = {},
): Promise<Run> {
  let stdout = '';
  let stderr = '';
  calls.length = 0;
  const cwd = o.cwd ?? (await workdir());
  const stdin = o.stdin ?? Object.assign(new PassThrough(), { isTTY: false });
  const code = await main(
    argv,
    {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: (s: string) => (stderr += s) },
      stdin,
      cwd,
      env: { PEERCHAT_DATA_DIR: path.join(root, 'data'), ...o.env },
    },
    { runPeer },
  );
  return { code, stdout, stderr, call: calls[0] };
}

t.afterEach(() => {
  nextResult = async () => 0;
});

t.test('start is the default command', async (t) => {
  const r = await run(['--name', 'alice']);
  t.equal(r.code, 0);
  t.match(r.call?.mode, { kind: 'start', json: false, eval: undefined, baseDir: String });
  t.equal(r.call?.config.name, 'alice');
  t.equal(r.call?.config.dataDir, path.join(root, 'data'));
  const s = await run(['start', '--name', 'alice', '-e', 'peer.name', '--json']);
  t.match(s.call?.mode, { kind: 'start', json: true, eval: 'peer.name', baseDir: String });
  const long = await run(['--eval', '1+1', '--name', 'x']);
  t.equal(long.call?.mode.kind === 'start' && long.call.mode.eval, '1+1');
});

t.test('the exit code is the one runPeer resolves to', async (t) => {
  nextResult = async () => 1;
  t.equal((await run(['--name', 'a'])).code, 1);
  nextResult = async () => 0;
  t.equal((await run(['--name', 'a'])).code, 0);
});

t.test('global options reach the config', async (t) => {
  const cwd = await workdir();
  const r = await run(
    [
      '--name=bob',
      '--port',
      '5000',
      '--host',
      '127.0.0.1',
      '--connect',
      '127.0.0.1:6000',
      '--connect',
      '127.0.0.1:6001',
      '--plugin',
      './p.js',
      '--room',
      'lobby',
      '--data-dir',
      'dd',
      '--no-classic',
      '--log-level',
      'debug',
      '--no-color',
    ],
    { cwd },
  );
  t.equal(r.code, 0, r.stderr);
  const c = r.call!.config;
  t.equal(c.name, 'bob');
  t.equal(c.port, 5000);
  t.equal(c.host, '127.0.0.1');
  t.same(c.autoConnect, ['127.0.0.1:6000', '127.0.0.1:6001']);
  t.same(c.plugins, [path.join(cwd, 'p.js')]);
  t.same(c.rooms, ['lobby']);
  t.equal(c.dataDir, path.join(cwd, 'dd'));
  t.equal(c.classic, false);
  t.equal(c.logLevel, 'debug');
  t.equal(c.color, false);
  const one = await run(['--name', 'x', '--connect', '127.0.0.1:6000', 'send', '127.0.0.1:7000', 'hi']);
  t.same(one.call?.config.autoConnect, ['127.0.0.1:6000'], 'a single --connect is a list too');
});

t.test('flags that are not given leave the config file in charge', async (t) => {
  const cwd = await workdir();
  await writeFile(
    path.join(cwd, '.peerchatrc.json'),
    JSON.stringify({ name: 'cfg', classic: false, color: true, port: 4100 }),
  );
  const r = await run([], { cwd });
  t.equal(r.code, 0, r.stderr);
  t.equal(r.call?.config.name, 'cfg');
  t.equal(r.call?.config.classic, false);
  t.equal(r.call?.config.color, true);
  t.equal(r.call?.config.port, 4100);
  const over = await run(['--classic', '--port', '4200'], { cwd });
  t.equal(over.call?.config.classic, true);
  t.equal(over.call?.config.port, 4200);
});

t.test('send, query and run', async (t) => {
  const s = await run(['send', '127.0.0.1:5000', 'hello', 'there', '--name', 'a']);
  t.equal(s.code, 0);
  t.same(s.call?.mode, { kind: 'send', target: '127.0.0.1:5000', text: 'hello there', json: false });
  const quoted = await run(['send', 'bob', 'hello  world', '--json', '--name', 'a']);
  t.same(quoted.call?.mode, { kind: 'send', target: 'bob', text: 'hello  world', json: true });
  const num = await run(['send', 'bob', '42', '--name', 'a']);
  t.same(num.call?.mode.kind === 'send' && num.call.mode.text, '42', 'numbers stay text');
  const q = await run(['query', '127.0.0.1:5000', '--name', 'a']);
  t.same(q.call?.mode, { kind: 'query', target: '127.0.0.1:5000', json: false });
  const cwd = await workdir();
  await writeFile(path.join(cwd, 'bot.mjs'), 'export default async () => {};\n');
  const r = await run(['run', 'bot.mjs', '--name', 'a'], { cwd });
  t.match(r.call?.mode, { kind: 'run', script: path.join(cwd, 'bot.mjs'), json: false, baseDir: cwd });
  const missing = await run(['run', 'nope.mjs', '--name', 'a'], { cwd });
  t.equal(missing.code, 2);
  t.equal(missing.call, undefined);
  t.equal(missing.stderr, `peerchat: script not found: ${path.join(cwd, 'nope.mjs')} (ERR_USAGE)\n`);
});

t.test('missing arguments are usage errors (exit 2)', async (t) => {
  const r = await run(['send', '127.0.0.1:5000']);
  t.equal(r.code, 2);
  t.equal(r.call, undefined);
  t.match(
    r.stderr,
    /^peerchat: Not enough non-option arguments.*\(see peerchat send --help\) \(ERR_USAGE\)\n$/,
  );
  t.equal((await run(['query'])).code, 2);
  t.equal((await run(['run'])).code, 2);
});

t.test('unknown flags and commands: exit 2 with a suggestion', async (t) => {
  const flag = await run(['--prot', '5000']);
  t.equal(flag.code, 2);
  t.equal(
    flag.stderr,
    'peerchat: unknown option --prot (did you mean --port?) (see peerchat --help) (ERR_USAGE)\n',
  );
  const cmd = await run(['sned', '127.0.0.1:1', 'hi']);
  t.equal(cmd.code, 2);
  t.equal(
    cmd.stderr,
    'peerchat: unknown command "sned" (did you mean "send"?) (see peerchat --help) (ERR_USAGE)\n',
  );
  const far = await run(['frobnicate']);
  t.equal(far.stderr, 'peerchat: unexpected argument "frobnicate" (see peerchat --help) (ERR_USAGE)\n');
  const sub = await run(['send', 'a', 'b', '--forse']);
  t.match(sub.stderr, 'unknown option --forse');
  t.equal(sub.code, 2);
  const choice = await run(['--log-level', 'loud']);
  t.equal(choice.code, 2);
  t.match(choice.stderr, /Invalid values: .*log-level.*loud/);
  t.equal(calls.length, 0, 'no peer was run');
});

t.test('--json: errors are NDJSON on stdout, nothing on stderr', async (t) => {
  const r = await run(['--json', '--prot']);
  t.equal(r.code, 2);
  t.equal(r.stderr, '');
  const line = JSON.parse(r.stdout) as { type: string; code: string; message: string };
  t.same(line, {
    type: 'error',
    code: 'ERR_USAGE',
    message: 'unknown option --prot (did you mean --port?) (see peerchat --help)',
  });
});

t.test('runtime errors exit 1 with one line on stderr', async (t) => {
  nextResult = async () => {
    throw new PeerchatError('ERR_PEER_UNREACHABLE', 'cannot reach 127.0.0.1:9\nsecond line');
  };
  const r = await run(['send', '127.0.0.1:9', 'hi', '--name', 'a']);
  t.equal(r.code, 1);
  t.equal(r.stderr, 'peerchat: cannot reach 127.0.0.1:9 second line (ERR_PEER_UNREACHABLE)\n');
  const j = await run(['send', '127.0.0.1:9', 'hi', '--name', 'a', '--json']);
  t.equal(j.code, 1);
  t.same(JSON.parse(j.stdout), {
    type: 'error',
    code: 'ERR_PEER_UNREACHABLE',
    message: 'cannot reach 127.0.0.1:9 second line',
  });
  nextResult = async () => {
    throw new TypeError('oops');
  };
  const u = await run(['--name', 'a']);
  t.equal(u.code, 1);
  t.equal(u.stderr, 'peerchat: oops\n');
});

t.test('config errors exit 2 and name the file', async (t) => {
  const cwd = await workdir();
  const file = path.join(cwd, '.peerchatrc.json');
  await writeFile(file, JSON.stringify({ name: 'x', autoConnect: [{ address: 'bad' }] }));
  const r = await run([], { cwd });
  t.equal(r.code, 2);
  t.equal(
    r.stderr,
    `peerchat: ${file}: autoConnect[0].address: expected an "ip:port" address such as "127.0.0.1:5000", found "bad" (ERR_CONFIG_INVALID)\n`,
  );
  const missing = await run(['--config', 'nope.json'], { cwd });
  t.equal(missing.code, 2);
  t.equal(
    missing.stderr,
    `peerchat: config file not found: ${path.join(cwd, 'nope.json')} (from --config) (ERR_CONFIG_NOT_FOUND)\n`,
  );
  const badFlag = await run(['--port', 'abc', '--name', 'a']);
  t.equal(badFlag.code, 2);
  t.equal(badFlag.stderr, 'peerchat: command line: --port: expected a number, found "abc" (ERR_USAGE)\n');
  // a number out of range is judged as a number, not as "not a number"
  for (const port of ['-1', '1.5', '70000']) {
    const r = await run(['--port', port, '--name', 'a']);
    t.equal(r.code, 2, port);
    t.equal(
      r.stderr,
      `peerchat: command line: --port: expected a whole number from 0 to 65535 (0: any free port), found ${Number(port)} (ERR_USAGE)\n`,
    );
  }
  const negativeEnv = await run(['--name', 'a'], { env: { PEERCHAT_PORT: '-1' } });
  t.equal(negativeEnv.code, 2);
  t.match(negativeEnv.stderr, 'environment: PEERCHAT_PORT: expected a whole number from 0 to 65535');
  const badEnv = await run(['--name', 'a'], { env: { PEERCHAT_LOG_LEVEL: 'loud' } });
  t.equal(badEnv.code, 2);
  t.match(badEnv.stderr, 'environment: PEERCHAT_LOG_LEVEL: expected one of');
});

t.test('--help shows the commands and examples; --version', async (t) => {
  const h = await run(['--help']);
  t.equal(h.code, 0);
  t.equal(calls.length, 0);
  for (const word of [
    'send <target> <text..>',
    'query <target>',
    'run <script>',
    ' id ',
    ' init ',
    'completion',
    'Examples:',
    '--no-classic',
    '--connect',
  ]) {
    t.match(h.stdout, word);
  }
  const sub = await run(['init', '--help']);
  t.match(sub.stdout, '--force');
  const v = await run(['--version']);
  const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  t.equal(v.stdout, `${pkg.version}\n`);
  t.equal(v.code, 0);
});

t.test('completion prints the bash script; the script gets completions', async (t) => {
  const c = await run(['completion']);
  t.equal(c.code, 0);
  t.match(c.stdout, '###-begin-peerchat-completions-###');
  t.match(c.stdout, 'peerchat --get-yargs-completions');
  t.equal(calls.length, 0);
  const q = await run(['--get-yargs-completions', 'peerchat', '']);
  t.equal(q.code, 0);
  for (const cmd of ['start', 'send', 'query', 'id', 'init', 'completion'])
    t.match(q.stdout, new RegExp(`^${cmd}$`, 'm'));
  t.notMatch(q.stdout, '__complete');
  const f = await run(['--get-yargs-completions', 'peerchat', '--con']);
  t.match(f.stdout, /^--connect$/m);
});

t.test('init writes a starter file and refuses to overwrite it', async (t) => {
  const cwd = await workdir();
  const file = path.join(cwd, '.peerchatrc.json');
  const r = await run(['init', '--name', 'alice', '--port', '5000', '--connect', '127.0.0.1:6000'], { cwd });
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, `wrote ${file}`);
  t.equal(calls.length, 0, 'no peer');
  const written = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  t.equal(written.name, 'alice');
  t.equal(written.port, 5000);
  t.same(written.autoConnect, ['127.0.0.1:6000']);
  // the starter file is valid: a start from that directory uses it
  const start = await run([], { cwd });
  t.equal(start.code, 0, start.stderr);
  t.equal(start.call?.config.name, 'alice');
  t.equal(start.call?.config.port, 5000);

  const again = await run(['init'], { cwd });
  t.equal(again.code, 2);
  t.equal(again.stderr, `peerchat: ${file} already exists (use --force to overwrite it) (ERR_USAGE)\n`);
  t.equal((JSON.parse(await readFile(file, 'utf8')) as { name: string }).name, 'alice', 'untouched');

  const forced = await run(['init', '--force', '--name', 'bob', '--json'], { cwd });
  t.equal(forced.code, 0);
  t.same(JSON.parse(forced.stdout), { type: 'result', value: { path: file } });
  t.equal((JSON.parse(await readFile(file, 'utf8')) as { name: string }).name, 'bob');

  const bad = await run(['init', '--name', 'a b'], { cwd: await workdir() });
  t.equal(bad.code, 2);
  t.match(bad.stderr, '--name: expected a name without any whitespace');
});

t.test('init without --name uses the OS user name', async (t) => {
  const cwd = await workdir();
  t.equal((await run(['init'], { cwd })).code, 0);
  const { osUserName } = await import('../../src/config/load.js');
  t.equal(
    (JSON.parse(await readFile(path.join(cwd, '.peerchatrc.json'), 'utf8')) as { name: string }).name,
    osUserName(),
  );
});

t.test('no name anywhere: the OS user name without a TTY', async (t) => {
  const { osUserName } = await import('../../src/config/load.js');
  const r = await run([]);
  t.equal(r.code, 0);
  t.equal(r.call?.config.name, osUserName());
});

t.test('no name anywhere on a TTY: ask, refusing spaces', async (t) => {
  const stdin = Object.assign(new PassThrough(), { isTTY: true });
  stdin.write('john smith\n');
  stdin.write('john\n');
  stdin.write('n\n'); // not remembered
  const r = await run([], { stdin });
  t.equal(r.code, 0, r.stderr);
  t.equal(r.call?.config.name, 'john');
  t.match(r.stdout, /Remember "john" in \S+config\.json\? \[Y\/n\] /, 'offers to save it');
  t.notMatch(r.stdout, 'Saved:');
  t.equal(r.stdout.split('Enter your name (without any space): ').length - 1, 2, 'asked twice');
  t.match(r.stdout, 'without any space.');
  const named = await run(['--name', 'given'], { stdin: Object.assign(new PassThrough(), { isTTY: true }) });
  t.equal(named.stdout, '', 'no prompt when a name is given');
  const ended = Object.assign(new PassThrough(), { isTTY: true });
  ended.end();
  const eof = await run([], { stdin: ended });
  t.equal(eof.code, 2);
  t.match(eof.stderr, 'no name was entered');
});

t.test('id prints the public key and fingerprint', async (t) => {
  const env = { PEERCHAT_DATA_DIR: path.join(root, 'id-data') };
  const r = await run(['id'], { env });
  t.equal(r.code, 0, r.stderr);
  const key = /^public key: +([0-9a-f]{64})$/m.exec(r.stdout)?.[1];
  t.ok(key, 'prints a hex key');
  t.match(r.stdout, /^fingerprint: +\S+$/m);
  const j = await run(['id', '--json'], { env });
  const line = JSON.parse(j.stdout) as { type: string; value: { id: string; fingerprint: string } };
  t.equal(line.type, 'result');
  t.equal(line.value.id, key, 'the same key on a second run');
});

t.test('id with a bad config is a config error', async (t) => {
  const cwd = await workdir();
  await writeFile(path.join(cwd, '.peerchatrc.json'), '{"dataDir": 5}');
  const r = await run(['id'], { cwd });
  t.equal(r.code, 2);
  t.match(r.stderr, 'dataDir: expected a string, found 5 (ERR_CONFIG_INVALID)');
});
