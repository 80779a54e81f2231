/**
 * The interactive prompt in a real pseudo-terminal (tmux): a message arriving while a line is
 * half typed, tab completion of a peer name, chat mode with Ctrl-D, and .quit ending the process.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const DEADLINE_MS = 15_000;
const POLL_MS = 50;
const FIXTURE = fileURLToPath(new URL('./fixtures/tty-peer.ts', import.meta.url));

const hasTmux = spawnSync('tmux', ['-V']).status === 0;
// the TypeScript loader tap runs this file with; the fixture needs it too
const tsLoader = process.execArgv.find((a) => a.startsWith('--import') && a.includes('typescript'));
const skip = !hasTmux
  ? 'tmux is not installed'
  : !tsLoader
    ? 'not run under tap (no TypeScript loader)'
    : false;

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

t.test('interactive REPL in tmux', { skip }, async (t) => {
  const socket = `peerchat-test-${process.pid}`;
  const dir = mkdtempSync(join(tmpdir(), 'peerchat-tty-'));
  const pidFile = join(dir, 'pid');
  const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
  t.teardown(() => {
    spawnSync('tmux', ['-L', socket, 'kill-server']);
    rmSync(dir, { recursive: true, force: true });
  });

  const screen = () => tmux('capture-pane', '-p', '-t', 'repl');
  const lastLine = (s: string) => s.trimEnd().split('\n').at(-1) ?? '';
  const until = async (what: string, test: (s: string) => boolean): Promise<string> => {
    const deadline = Date.now() + DEADLINE_MS;
    let s = '';
    while (Date.now() < deadline) {
      s = screen();
      if (test(s)) return s;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    throw new Error(`timed out waiting for ${what}; screen:\n${s}`);
  };
  const pid = async (): Promise<number> => {
    await until('the pid file', () => {
      try {
        return readFileSync(pidFile, 'utf8').length > 0;
      } catch {
        return false;
      }
    });
    return Number(readFileSync(pidFile, 'utf8'));
  };

  const command = [
    'env -u NODE_OPTIONS TS_NODE_TRANSPILE_ONLY=1 TERM=xterm-256color',
    shellQuote(process.execPath),
    shellQuote(tsLoader as string),
    shellQuote(FIXTURE),
    shellQuote(pidFile),
  ].join(' ');
  tmux('new-session', '-d', '-s', 'repl', '-x', '120', '-y', '30', command);
  const replPid = await pid();
  await until('the prompt', (s) => lastLine(s) === 'tty>');

  // a message arrives while a line is half typed
  tmux('send-keys', '-t', 'repl', '-l', "peer.send('bo");
  await until('the half-typed line', (s) => lastLine(s) === "tty> peer.send('bo");
  process.kill(replPid, 'SIGUSR2');
  const after = await until('the message', (s) => s.includes('ping 1'));
  const lines = after.trimEnd().split('\n');
  t.match(
    lines.at(-2),
    /^\[\d\d:\d\d:\d\d\] 127\.0\.0\.1:5001 alice \(3f2a:91c0:7be4:d215\): ping 1$/,
    'printed above the prompt',
  );
  t.equal(lines.at(-1), "tty> peer.send('bo", 'the half-typed line is intact below it');
  t.equal(
    tmux('display-message', '-p', '-t', 'repl', '#{cursor_x}').trim(),
    String("tty> peer.send('bo".length),
    'cursor kept',
  );

  // finishing the line sends what was typed before and after the interruption
  tmux('send-keys', '-t', 'repl', '-l', "b', 'hi')");
  tmux('send-keys', '-t', 'repl', 'Enter');
  await until('the send result', (s) => /to: '127\.0\.0\.1:5002'/.test(s) && lastLine(s) === 'tty>');
  t.pass('the whole line was evaluated');

  // tab completion of a peer name
  tmux('send-keys', '-t', 'repl', '-l', '.send al');
  tmux('send-keys', '-t', 'repl', 'Tab');
  await until('the completed name', (s) => lastLine(s) === 'tty> .send alice');
  tmux('send-keys', '-t', 'repl', '-l', ' yo');
  tmux('send-keys', '-t', 'repl', 'Enter');
  await until('the .send answer', (s) => s.includes('sent to 127.0.0.1:5001'));
  t.pass('completed .send alice was sent');

  // chat mode: alice's message is held while chatting with bob; Ctrl-D leaves and counts it
  tmux('send-keys', '-t', 'repl', '-l', '.chat bob');
  tmux('send-keys', '-t', 'repl', 'Enter');
  await until('the chat prompt', (s) => lastLine(s) === 'chat bob>');
  process.kill(replPid, 'SIGUSR2');
  tmux('send-keys', '-t', 'repl', 'C-d');
  const left = await until('leaving chat', (s) => lastLine(s) === 'tty>' && s.includes('left chat mode'));
  t.match(left, /left chat mode; 1 pending message: \.pending to show/);
  t.notMatch(left, /ping 2/, 'the held message was not printed');
  tmux('send-keys', '-t', 'repl', '-l', '.pending');
  tmux('send-keys', '-t', 'repl', 'Enter');
  await until('the pending message', (s) => /alice \(3f2a:91c0:7be4:d215\): ping 2/.test(s));
  t.pass('.pending shows it');

  // .quit calls onQuit, which ends the process (and so the tmux session)
  tmux('send-keys', '-t', 'repl', '-l', '.quit');
  tmux('send-keys', '-t', 'repl', 'Enter');
  const deadline = Date.now() + DEADLINE_MS;
  while (
    Date.now() < deadline &&
    spawnSync('tmux', ['-L', socket, 'has-session', '-t', 'repl']).status === 0
  ) {
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  t.not(
    spawnSync('tmux', ['-L', socket, 'has-session', '-t', 'repl']).status,
    0,
    'the process exited on .quit',
  );
});
