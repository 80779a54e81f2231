import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import t from 'tap';
import { evalCode, runModule, runScript } from '../../src/repl/script.js';
import type { SendResult } from '../../src/types.js';
import { ndjson } from '../helpers/ndjson.js';
import { collect, deferred, FakePeer } from './fake-peer.js';

function setup(json = false) {
  const peer = new FakePeer();
  peer.addPeer({ address: '127.0.0.1:5001', name: 'alice', connected: true });
  peer.addPeer({ address: '127.0.0.1:5002', name: 'slow', connected: true });
  const input = new PassThrough();
  const output = new PassThrough();
  const errorOutput = new PassThrough();
  const out = collect(output);
  const err = collect(errorOutput);
  const opts = { peer, input, output, errorOutput, json };
  return { peer, input, opts, out, err };
}

const ticks = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

t.test('each line is awaited before the next starts; done only after the last', async (t) => {
  const { peer, input, opts } = setup();
  const started = deferred<void>();
  const release = deferred<SendResult>();
  peer.sendImpl = async (p, text) => {
    if (p.name === 'slow') {
      started.resolve();
      return release.promise;
    }
    return { id: text, to: p.address, protocol: 'classic', state: 'sent' };
  };
  input.end(
    [
      "await peer.send('slow', 'first')",
      "peer.send('alice', 'second')", // a returned promise is awaited too
      'await (async () => {})()',
    ].join('\n'),
  );
  let finished = false;
  const run = runScript(opts).then((code) => {
    finished = true;
    return code;
  });
  await started.promise;
  await ticks(20);
  t.same(peer.calls, ['send slow first'], 'the second line has not started while the first awaits');
  t.equal(finished, false, 'not done while a line is pending');
  release.resolve({ id: 'x', to: '127.0.0.1:5002', protocol: 'classic', state: 'sent' });
  t.equal(await run, 0);
  t.same(peer.calls, ['send slow first', 'send alice second']);
});

t.test('exit waits for the last line even when it resolves late', async (t) => {
  const { peer, input, opts } = setup();
  const release = deferred<SendResult>();
  const started = deferred<void>();
  peer.sendImpl = async () => {
    started.resolve();
    return release.promise;
  };
  input.end("const r = await peer.send('alice', 'last')\n");
  let finished = false;
  const run = runScript(opts).then((code) => {
    finished = true;
    return code;
  });
  await started.promise;
  await ticks(20);
  t.equal(finished, false);
  release.resolve({ id: 'late', to: '127.0.0.1:5001', protocol: 'classic', state: 'sent' });
  t.equal(await run, 0);
});

t.test('results are printed in human mode; variables persist; dot-commands work', async (t) => {
  const { input, opts, out } = setup();
  input.end(
    [
      "const res = await peer.send('alice', 'hi')",
      'res.to',
      '',
      '.connected',
      'function add(a, b) {',
      '  return a + b;',
      '}',
      'add(2, 3)',
    ].join('\n'),
  );
  t.equal(await runScript(opts), 0);
  const text = out.text();
  t.match(text, /^'127\.0\.0\.1:5001'\n/);
  t.match(text, /127\.0\.0\.1:5001 +alice +connected/);
  t.match(text, /\n5\n$/, 'a multi-line function definition was joined');
});

t.test('--json: one result object per input, human text on stderr', async (t) => {
  const { input, opts, out, err } = setup(true);
  input.end(
    ["await peer.send('alice', 'hi')", 'const x = 1', '.peers', 'console.log("to stderr")', '1 + 1'].join(
      '\n',
    ),
  );
  t.equal(await runScript(opts), 0);
  const objs = ndjson(out.text());
  t.same(
    objs.map((o) => o.type),
    ['result', 'result', 'result', 'result', 'result'],
  );
  t.match(objs[0], { value: { to: '127.0.0.1:5001', state: 'sent' } });
  t.same(objs[1], { type: 'result', value: null });
  t.match(objs[2], { value: [{ address: '127.0.0.1:5001' }, { address: '127.0.0.1:5002' }] });
  t.same(objs[4], { type: 'result', value: 2 });
  t.match(err.text(), /to stderr/);
  t.match(err.text(), /alice/, '.peers table went to stderr');
});

t.test('--json with announce writes listening first and events as they come', async (t) => {
  const { peer, input, opts, out } = setup(true);
  input.end("peer.on('message', () => {}); await peer.connect('127.0.0.1:7000')\n");
  t.equal(await runScript({ ...opts, announce: true }), 0);
  peer.deliver({ from: '127.0.0.1:5001', text: 'after' });
  const objs = ndjson(out.text());
  t.same(
    objs.map((o) => o.type),
    ['listening', 'peer-connected', 'result'],
  );
  t.equal(peer.listenerCount('peer-connected'), 0, 'listeners removed when done');
});

t.test('an uncaught error stops the script: exit code 1, one line on stderr', async (t) => {
  const { peer, input, opts, err } = setup();
  input.end(
    ["peer.send('alice', 'one')", "await peer.send('nobody', 'x')", "peer.send('alice', 'never')"].join('\n'),
  );
  t.equal(await runScript(opts), 1);
  t.same(peer.calls, ['send alice one', 'send nobody x']);
  t.equal(err.text(), 'peerchat: stdin:2: ERR_UNKNOWN_TARGET: no peer matches "nobody"\n');
});

t.test('errors in --json mode also give an error object', async (t) => {
  const { input, opts, out, err } = setup(true);
  input.end('undefinedFunction()\n');
  t.equal(await runScript(opts), 1);
  t.same(ndjson(out.text()), [
    { type: 'error', code: 'ERR_SCRIPT', message: 'ReferenceError: undefinedFunction is not defined' },
  ]);
  t.match(err.text(), /^peerchat: stdin:1: ReferenceError: undefinedFunction is not defined\n$/);
});

t.test('a syntax error, an unknown dot-command and an unfinished input fail clearly', async (t) => {
  for (const [src, re] of [
    ['1 +* 2', /stdin:1: SyntaxError/],
    ['.nope', /stdin:1: ERR_USAGE: \.nope is not a command/],
    ['.editor', /needs an interactive terminal/],
    ['const ok = 1\nfunction f() {', /stdin:2: SyntaxError: Unexpected end of input/],
  ] as const) {
    const { input, opts, err } = setup();
    input.end(src);
    t.equal(await runScript(opts), 1, src);
    t.match(err.text(), re);
  }
});

t.test('peer.quit() and .exit stop reading and give the exit code', async (t) => {
  {
    const { peer, input, opts } = setup();
    input.end("await peer.quit(3)\npeer.send('alice', 'never')\n");
    t.equal(await runScript(opts), 3);
    t.same(peer.calls, []);
  }
  {
    const { peer, input, opts } = setup();
    input.end(".exit\npeer.send('alice', 'never')\n");
    t.equal(await runScript(opts), 0);
    t.same(peer.calls, []);
  }
});

t.test('chat mode in a script: lines are sent until .exit; pending count on leaving', async (t) => {
  const { peer, input, opts, out } = setup();
  peer.sendImpl = async (p, text) => {
    if (text === 'hello') peer.deliver({ from: '127.0.0.1:5002', name: 'slow', text: 'interrupting' });
    return { id: text, to: p.address, protocol: 'classic', state: 'sent' };
  };
  input.end(['.chat alice', 'hello', 'how are you?', '.exit', '.pending'].join('\n'));
  t.equal(await runScript(opts), 0);
  t.same(peer.calls, ['send 127.0.0.1:5001 hello', 'send 127.0.0.1:5001 how are you?']);
  t.same(peer.chatTargets, ['127.0.0.1:5001', null]);
  const text = out.text();
  t.match(text, /chatting with alice \(127\.0\.0\.1:5001\)/);
  t.match(text, /left chat mode; 1 pending message: \.pending to show/);
  t.match(text, /127\.0\.0\.1:5002 slow \(unverified\): interrupting\n$/, '.pending shows it afterwards');
  t.notMatch(text.split('left chat mode')[0] ?? '', /interrupting/, 'not shown while chatting');
});

t.test('evalCode: --eval with peer in scope', async (t) => {
  const { peer, opts, out } = setup();
  t.equal(await evalCode("await peer.send('alice', 'a'); await peer.send('alice', 'b')", opts), 0);
  t.same(peer.calls, ['send alice a', 'send alice b']);
  t.equal(await evalCode('peer.name', opts), 0);
  t.match(out.text(), /'me'\n$/);
  t.equal(await evalCode('throw new Error("bad")', opts), 1);
});

t.test('runModule: awaits the default export with peer', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'peerchat-run-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const good = join(dir, 'good.mjs');
  await writeFile(
    good,
    "export default async function (peer) { await peer.send('alice', 'from module'); return peer.connected().length }\n",
  );
  const { peer, opts, out } = setup(true);
  t.equal(await runModule(good, opts), 0);
  t.same(peer.calls, ['send alice from module']);
  t.same(ndjson(out.text()), [{ type: 'result', value: 2 }]);

  const noDefault = join(dir, 'none.mjs');
  await writeFile(noDefault, 'export const x = 1\n');
  const second = setup();
  t.equal(await runModule(noDefault, second.opts), 2, 'a usage error, as a plugin that cannot load');
  t.match(second.err.text(), /ERR_USAGE: .*must have a default export function/);

  const third = setup();
  t.equal(await runModule(join(dir, 'missing.mjs'), third.opts), 2);
  t.match(third.err.text(), /ERR_USAGE: cannot load/);

  const throwing = join(dir, 'throws.mjs');
  await writeFile(throwing, "export default async (peer) => { await peer.query('nobody') }\n");
  const fourth = setup();
  t.equal(await runModule(throwing, fourth.opts), 1);
  t.match(fourth.err.text(), /ERR_UNKNOWN_TARGET/);
});

t.test('human script mode: messages on stdout, progress and warnings on stderr', async (t) => {
  const { peer, input, opts, out, err } = setup();
  input.end("await peer.connect('127.0.0.1:7000')\n");
  const running = runScript(opts);
  peer.deliver({ from: '127.0.0.1:5001', name: 'alice', text: 'hello script' });
  peer.emit('warning', { code: 'ERR_BAD_FRAME', message: 'garbage' });
  t.equal(await running, 0);
  t.match(out.text(), /alice \(unverified\): hello script/);
  t.notMatch(out.text(), /\+ 127\.0\.0\.1:7000 connected|ERR_BAD_FRAME/);
  t.match(err.text(), /\+ 127\.0\.0\.1:7000 connected/);
  t.match(err.text(), /warning ERR_BAD_FRAME: garbage/);
});

t.test('script mode: a mistyped command suggests the one meant; prose gets the send hint', async (t) => {
  const peer = new FakePeer();
  const run = async (text: string) => {
    const input = new PassThrough();
    const output = new PassThrough();
    const errorOutput = new PassThrough();
    const err = collect(errorOutput);
    const done = runScript({ peer, input, output, errorOutput, json: false });
    input.end(text);
    return { code: await done, err: err.text() };
  };
  const typo = await run('.sned bob hi\n');
  t.equal(typo.code, 1);
  t.match(typo.err, /\.sned is not a command \(did you mean \.send\?\)/);
  const prose = await run('hello there bob\n');
  t.equal(prose.code, 1);
  t.match(
    prose.err,
    /SyntaxError: .*\(to send text as a message: \.send <target> <text>, or \.chat <target> for chat mode\)/,
  );
  const word = await run('hello\n');
  t.equal(word.code, 1);
  t.match(word.err, /ReferenceError: hello is not defined \(to send text as a message: \.send <target>/);
});
