import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import t from 'tap';
import { type StartReplOptions, startRepl } from '../../src/repl/start.js';
import { collect, deferred, FakePeer, waitFor } from './fake-peer.js';

// visible text: drop ANSI control sequences a terminal-mode REPL writes
const visible = (s: string) => s.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');

async function setup(t: { teardown(fn: () => unknown): void }, extra: Partial<StartReplOptions> = {}) {
  const peer = new FakePeer();
  peer.addPeer({ address: '127.0.0.1:5001', name: 'alice', connected: true, protocol: 'native' });
  peer.addPeer({ address: '127.0.0.1:5002', name: 'bob', connected: true });
  const input = new PassThrough();
  const output = new PassThrough();
  const errorOutput = new PassThrough();
  const out = collect(output);
  const err = collect(errorOutput);
  const quits: number[] = [];
  const handle = await startRepl({
    peer,
    input,
    output,
    errorOutput,
    terminal: false,
    color: false,
    json: false,
    onQuit: async (code) => {
      quits.push(code);
    },
    ...extra,
  });
  t.teardown(() => handle.quit());
  /** Type a line and wait until the output (from this point on) matches. */
  const type = async (line: string, until: RegExp, stream = output, seen = out) => {
    const start = seen.text().length;
    input.write(line);
    return waitFor(stream, () => visible(seen.text().slice(start)), until);
  };
  return { peer, input, output, out, err, handle, quits, type };
}

t.test('peer global, await and dot-commands through streams', async (t) => {
  const { peer, type } = await setup(t);
  await type('peer.name\n', /'me'\n/);
  await type("await peer.send('alice', 'hi')\n", /state: 'sent'/);
  await type('.peers\n', /127\.0\.0\.1:5002 +bob +connected/);
  await type('.send bob hello there\n', /sent to 127\.0\.0\.1:5002 \(classic\)\n/);
  await type("peer.send('alice', 'no await')\n", /state: 'sent'/);
  await type("peer.query('nobody')\n", /Uncaught[\s\S]*ERR_UNKNOWN_TARGET/);
  await type('.menu\n', /0\. Quit +\.quit/);
  await type('peer\n', /<peer me 127\.0\.0\.1:5000 abab:abab:abab:abab, 2 connected, 2 known/);
  t.same(peer.calls, ['send alice hi', 'send bob hello there', 'send alice no await', 'query nobody']);
});

t.test(
  'typed code runs outside any domain; what it leaves behind is printed and the REPL goes on',
  async (t) => {
    const claims: Array<(err: unknown) => boolean> = [];
    let unregistered = 0;
    const { type, handle } = await setup(t, {
      claimUncaught: (claim) => {
        claims.push(claim);
        return () => {
          unregistered++;
        };
      },
      // what the process's handler does with an error thrown in typed code's timer
      extra: { leave: (message: string) => claims[0]?.(new Error(message)) },
    });
    t.equal(claims.length, 1, 'one claimant registered');
    // a domain would put an async hook on every promise of the process (typed-code.ts)
    await type('process.domain == null\n', /true\n/);
    await type("setTimeout(() => peer.leave('left in a timer'), 1); 1\n", /Uncaught Error: left in a timer/);
    t.equal(claims[0]?.(new Error('not typed code')), false, 'an error from elsewhere is not claimed');
    await type('peer.name\n', /'me'\n/);
    await handle.quit();
    t.equal(unregistered, 1, 'the claimant is unregistered on quit');
  },
);

t.test('.help lists every command, plugin commands included', async (t) => {
  const commands = new Map([
    ['block', { help: 'Block a peer: .block <addr>', action: (a: string) => `blocked ${a}` }],
  ]);
  const { type } = await setup(t, { commands, helpers: { unblock: (a: string) => `unblocked ${a}` } });
  const help = await type('.help\n', /Press Ctrl\+C[\s\S]*> $/);
  for (const name of [
    'send',
    'peers',
    'connect',
    'connected',
    'query',
    'chat',
    'pending',
    'connectall',
    'quit',
    'menu',
    'block',
  ]) {
    t.match(help, new RegExp(`\\.${name} +\\S`), `.${name} listed`);
  }
  await type('.block 1.2.3.4:5\n', /> /);
  await type("peer.unblock('9.9.9.9:9')\n", /'unblocked 9\.9\.9\.9:9'/);
});

t.test('dot-command errors are printed and the prompt comes back', async (t) => {
  const { type } = await setup(t);
  await type('.send nobody x\n', /error ERR_UNKNOWN_TARGET: no peer matches "nobody"\nme> $/);
  await type('.send\n', /error ERR_USAGE: usage: \.send <target> <text>\nme> $/);
});

t.test('incoming messages and events are printed', async (t) => {
  const { peer, out, output } = await setup(t);
  peer.deliver({
    from: '127.0.0.1:5001',
    name: 'alice',
    text: 'knock knock',
    ts: Date.now(), // today: no date shown
    protocol: 'native',
    verified: true,
    fingerprint: 'aaaa:bbbb:cccc:dddd',
  });
  await waitFor(
    output,
    () => out.text(),
    /\[\d\d:\d\d:\d\d\] 127\.0\.0\.1:5001 alice \(aaaa:bbbb:cccc:dddd\): knock knock\n/,
  );
  peer.emit('peer-disconnected', peer.peers[1], 'exit');
  await waitFor(output, () => out.text(), /- bob 127\.0\.0\.1:5002 disconnected \(exit\)/);
});

t.test('.clear resets the context but keeps peer', async (t) => {
  const { type } = await setup(t);
  await type('const mine = 1\n', /> $/);
  await type('.clear\n', /Clearing context/);
  await type('typeof mine + " " + peer.name\n', /'undefined me'/);
});

t.test('chat mode: lines are sent, others are held, .exit leaves with the count', async (t) => {
  const { peer, type, handle, output, out } = await setup(t);
  await type('.chat alice\n', /chatting with alice \(127\.0\.0\.1:5001\)[\s\S]*chat alice> $/);
  t.same(peer.chatTargets, ['127.0.0.1:5001']);
  await type('hello alice\n', /chat alice> $/);
  await type('  spaced out\n', /chat alice> $/);
  await type('\n', /chat alice> $/);
  t.same(peer.calls, ['send 127.0.0.1:5001 hello alice', 'send 127.0.0.1:5001   spaced out']);
  const before = out.text().length;
  peer.deliver({ from: '127.0.0.1:5002', name: 'bob', text: 'psst' });
  peer.deliver({ from: '127.0.0.1:5002', name: 'bob', text: 'psst again' });
  peer.deliver({ from: '127.0.0.1:5001', name: 'alice', text: 'hi back' });
  await waitFor(output, () => out.text().slice(before), /alice \(unverified\): hi back/);
  t.notMatch(out.text().slice(before), /psst/, 'messages from others are held');
  t.equal(handle.chat.target?.address, '127.0.0.1:5001');
  await type('.exit\n', /left chat mode; 2 pending messages: \.pending to show\nme> $/);
  t.same(peer.chatTargets, ['127.0.0.1:5001', null]);
  t.equal(handle.chat.target, null);
  await type('.pending\n', /bob \(unverified\): psst\n.*bob \(unverified\): psst again\n/);
  await type('.pending\n', /no pending messages/);
});

t.test('chat mode from peer.chat(), send failures are printed, unknown targets refused', async (t) => {
  const { peer, type } = await setup(t);
  await type("peer.chat('nobody')\n", /ERR_UNKNOWN_TARGET/);
  await type("peer.chat('bob')\n", /chat bob> $/);
  peer.sendImpl = async () => {
    throw Object.assign(new Error('ack timeout'), { code: 'ERR_ACK_TIMEOUT' });
  };
  await type('are you there\n', /error ERR_ACK_TIMEOUT: ack timeout\nchat bob> $/);
  peer.sendImpl = async (p) => ({
    id: 'x',
    to: p.address,
    protocol: 'classic',
    state: 'failed',
    error: 'refused',
  });
  await type('again\n', /not delivered to 127\.0\.0\.1:5002: refused/);
  await type("peer.chat('alice')\n", /chat bob> $/, undefined);
  t.same(peer.calls.at(-1), "send 127.0.0.1:5002 peer.chat('alice')", 'in chat mode code is just text');
});

t.test('chat lines reach the peer in the order typed, even when one is slow', async (t) => {
  const { peer, type, input, output, out } = await setup(t);
  await type('.chat alice\n', /chat alice> $/);
  const release = deferred<void>();
  peer.sendImpl = async (p, text) => {
    if (text === 'one') await release.promise;
    return { id: text, to: p.address, protocol: 'classic', state: 'sent' };
  };
  input.write('one\n');
  await waitFor(output, () => peer.calls.join('|'), /one$/);
  input.write('two\n');
  await waitFor(output, () => peer.calls.join('|'), /one\|.*two$/);
  const before = out.text().length;
  release.resolve();
  await waitFor(output, () => out.text().slice(before), /chat alice> $/);
  t.same(peer.calls, ['send 127.0.0.1:5001 one', 'send 127.0.0.1:5001 two']);
});

t.test('.quit, .exit, peer.quit() and the end of input call onQuit once', async (t) => {
  for (const [what, code] of [
    ['.quit\n', 0],
    ['.exit\n', 0],
    ['await peer.quit(2)\n', 2],
    ['', 0],
  ] as const) {
    const { input, output, quits, handle } = await setup(t);
    if (what) input.write(what);
    else input.end(); // Ctrl-D on a pipe
    await waitFor(output, () => quits.join(','), /^\d$/);
    await handle.quit();
    t.same(quits, [code], `${what.trim() || 'end of input'} quits once with ${code}`);
  }
});

t.test('--json: the REPL talks on stderr, stdout carries only NDJSON', async (t) => {
  const { peer, input, output, out, err, handle } = await setup(t, { json: true, announce: true });
  const errStream = (handle.server as unknown as { output: PassThrough }).output;
  input.write("await peer.send('alice', 'x')\n");
  await waitFor(errStream, () => err.text(), /state: 'sent'/);
  input.write('.connected\n');
  await waitFor(errStream, () => err.text(), /bob/);
  peer.deliver({ from: '127.0.0.1:5001', name: 'alice', text: 'json me' });
  await waitFor(output, () => out.text(), /"type":"message"/);
  const objs = out
    .text()
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  t.same(
    objs.map((o) => o.type),
    ['listening', 'result', 'result', 'message'],
  );
  t.match(objs[1], { value: { to: '127.0.0.1:5001' } });
  t.match(objs[3], { from: '127.0.0.1:5001', text: 'json me', protocol: 'classic', verified: false });
});

t.test('history is kept in the given file', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'peerchat-hist-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const historyFile = join(dir, 'sub', 'repl_history');
  const { type, handle } = await setup(t, { historyFile, terminal: true });
  await type('1 + 41\r', /42/);
  await type('.peers\r', /bob/);
  await handle.quit();
  const deadline = Date.now() + 3000;
  let text = '';
  while (Date.now() < deadline) {
    text = await readFile(historyFile, 'utf8').catch(() => '');
    if (text.includes('.peers')) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  t.match(text, /\.peers\n1 \+ 41/, 'newest first, as Node writes it');
});

t.test('terminal mode: tab completes peer names and methods', async (t) => {
  const { input, handle, output, out } = await setup(t, { terminal: true });
  const line = () => (handle.server as unknown as { line: string }).line;
  input.write('.send ali\t');
  await waitFor(output, () => line(), /^\.send alice$/);
  input.write('\x15'); // Ctrl-U clears the line
  input.write('await peer.conn');
  input.write('\t');
  await waitFor(output, () => line(), /^await peer\.conn(ect|ected)/);
  t.match(visible(out.text()), /connect/);
  input.write('\x15');
  input.write("peer.chat('b\t");
  await waitFor(output, () => line(), /^peer\.chat\('bob$/);
  input.write('\x15');
  input.write('.history b\t');
  await waitFor(output, () => line(), /^\.history bob$/);
  input.write('\x15');
  input.write('.history --se\t');
  await waitFor(output, () => line(), /^\.history --search$/);
});

t.test('.history: a target, a limit and --search are parsed, not taken for the target', async (t) => {
  const asked: unknown[] = [];
  const history = (target?: string, opts?: object) => {
    asked.push([target, opts]);
    return [];
  };
  const { type } = await setup(t, { extra: { history } });
  await type('.history gina 3\n', /no messages stored\nme> $/);
  await type('.history --search ping\n', /no stored messages contain "ping"\nme> $/);
  await type(
    '.history gina --limit 5 --search "lunch plans"\n',
    /no stored messages contain "lunch plans"\nme> $/,
  );
  await type('.history 7\n', /me> $/);
  await type('.history\n', /me> $/);
  t.same(asked, [
    ['gina', { limit: 3 }],
    [undefined, { limit: 20, search: 'ping' }],
    ['gina', { limit: 5, search: 'lunch plans' }],
    [undefined, { limit: 7 }],
    [undefined, { limit: 20 }],
  ]);
  await type(
    '.history gina zero\n',
    /error ERR_USAGE: the limit must be a whole number of 1 or more, not "zero"\nme> $/,
  );
  await type('.history --serch x\n', /error ERR_USAGE: Unknown option '--serch'.*usage: \.history/);
  await type('.chat alice bob\n', /error ERR_USAGE: too many arguments \(usage: \.chat <target>\)/);
});

t.test('terminal mode: a message arriving while typing keeps the typed line', async (t) => {
  const { peer, input, handle, output, out } = await setup(t, { terminal: true });
  const server = handle.server as unknown as { line: string; cursor: number };
  input.write("peer.send('bo");
  await waitFor(output, () => server.line, /^peer\.send\('bo$/);
  const before = out.text().length;
  peer.deliver({ from: '127.0.0.1:5001', name: 'alice', text: 'interrupt!' });
  const shown = await waitFor(
    output,
    () => visible(out.text().slice(before)),
    /interrupt!\nme> peer\.send\('bo$/,
  );
  t.match(shown, /alice \(unverified\): interrupt!\nme> peer\.send\('bo$/);
  t.equal(server.line, "peer.send('bo");
  t.equal(server.cursor, 13);
  input.write("b', 'done')\r");
  await waitFor(output, () => String(peer.calls.at(-1)), /^send bob done$/);
});

t.test('terminal mode: Ctrl-D leaves chat mode, a second Ctrl-D quits', async (t) => {
  const { input, output, out, handle, quits } = await setup(t, { terminal: true });
  input.write('.chat bob\r');
  await waitFor(output, () => visible(out.text()), /chat bob> $/);
  input.write('\x04');
  await waitFor(output, () => visible(out.text()), /left chat mode; no pending messages[\s\S]*me> $/);
  t.equal(handle.chat.target, null);
  input.write('\x04');
  await waitFor(output, () => String(quits.length), /^1$/);
  t.same(quits, [0]);
});

t.test('a multi-line message is shown as indented lines; an old one shows its date', async (t) => {
  const { peer, out, output } = await setup(t);
  const old = new Date(2020, 4, 6, 7, 8, 9).getTime();
  peer.deliver({ from: '127.0.0.1:5002', name: 'bob', text: 'commands:\n!ping\n!time', ts: old });
  await waitFor(
    output,
    () => out.text(),
    /\[2020-05-06 07:08:09\] 127\.0\.0\.1:5002 bob \(unverified\): commands:\n {4}!ping\n {4}!time\n/,
  );
  peer.deliver({ from: '127.0.0.1:5002', name: 'bob', text: 'today', ts: Date.now() });
  await waitFor(
    output,
    () => out.text(),
    /\n\[\d\d:\d\d:\d\d\] 127\.0\.0\.1:5002 bob \(unverified\): today\n/,
  );
});

t.test(
  'a mistyped dot-command names the one meant; prose outside chat mode says how to send it',
  async (t) => {
    const { type, peer } = await setup(t);
    await type(
      '.sned bob hi\n',
      /error ERR_USAGE: \.sned is not a command \(did you mean \.send\?\); \.help lists them\nme> $/,
    );
    await type('.histroy\n', /did you mean \.history\?/);
    await type('.zzzzzz\n', /error ERR_USAGE: \.zzzzzz is not a command; \.help lists them\nme> $/);
    await type(
      'hello there bob\n',
      /SyntaxError[\s\S]*to send text as a message: \.send <target> <text>, or \.chat <target> for chat mode[\s\S]*me> $/,
    );
    // one word is a ReferenceError, not a SyntaxError: it gets the hint too
    const word = await type(
      'hello\n',
      /ReferenceError: hello is not defined \(to send text as a message: \.send <target> <text>, or \.chat <target> for chat mode\)[\s\S]*me> $/,
    );
    t.notMatch(word, /\n\s+at /, "one line, without the REPL's frames");
    const typo = await type('peeer.name\n', /ReferenceError[\s\S]*me> $/);
    t.notMatch(typo, /to send text/, 'a mistyped name in code gets no hint');
    const code = await type('1 +* 2\n', /SyntaxError[\s\S]*me> $/);
    t.notMatch(code, /to send text/, 'code with a typo gets no hint');
    await type('[1,\n', /(\||\.\.\.) $/); // the continuation prompt: '|' on Node 24, '...' before
    await type('2].length\n', /2\nme> $/);
    t.same(peer.calls, [], 'nothing was sent');
  },
);

t.test('.connectall through the REPL: nobody new, then one more', async (t) => {
  const { type, peer } = await setup(t);
  await type('.connectall\n', /^already connected to 2 peers\nme> $/);
  peer.addPeer({ address: '127.0.0.1:5003', name: 'carol' });
  await type('.connectall\n', /\nconnected to 1 peer, already connected to 2 peers\nme> $/);
});

t.test('Ctrl-C stops waiting for a promise that never settles; the REPL goes on', async (t) => {
  const { input, output, out, quits } = await setup(t, { terminal: true });
  for (const line of ['new Promise(() => {})', 'await new Promise(() => {})']) {
    const start = out.text().length;
    input.write(`${line}\r`);
    await waitFor(output, () => visible(out.text().slice(start)), /\n/);
    input.write('\x03');
    await waitFor(
      output,
      () => visible(out.text().slice(start)),
      /ERR_SCRIPT_EXECUTION_INTERRUPTED[\s\S]*me> $/,
    );
  }
  const start = out.text().length;
  input.write('1 + 1\r');
  await waitFor(output, () => visible(out.text().slice(start)), /2\n[\s\S]*me> $/);
  t.same(quits, [], 'an interrupting Ctrl-C is not the first of two that quit');
  t.notMatch(out.text(), /To exit, press Ctrl\+C again/);
});
