/**
 * The first-run name prompt in a real terminal (tmux) with a fake HOME: the name typed is offered to
 * be saved to the user config (~/.config/peerchat/config.json), and the next start uses it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import t from 'tap';
import { BIN, isolatedEnv } from './harness.js';

const DEADLINE_MS = 20_000;
const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

t.test(
  'the name typed at the first-run prompt is saved to the user config',
  { skip: !hasTmux && 'no tmux' },
  async (t) => {
    const home = mkdtempSync(join(tmpdir(), 'peerchat-home-'));
    const socket = `peerchat-name-${process.pid}`;
    const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
    t.teardown(() => {
      spawnSync('tmux', ['-L', socket, 'kill-server']);
      rmSync(home, { recursive: true, force: true });
    });
    const screen = () => tmux('capture-pane', '-p', '-t', 'first');
    const until = async (what: string, test: (s: string) => boolean) => {
      const deadline = Date.now() + DEADLINE_MS;
      let s = '';
      while (Date.now() < deadline) {
        s = screen();
        if (test(s)) return s;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`timed out waiting for ${what}; screen:\n${s}`);
    };
    // a fake HOME with no XDG variables: the user config is $HOME/.config/peerchat/config.json
    const command = [
      'env -i',
      `HOME=${q(home)}`,
      `PATH=${q(process.env.PATH ?? '')}`,
      'TERM=xterm-256color NO_COLOR=1',
      q(process.execPath),
      q(BIN),
      '--host 127.0.0.1 --port 0',
      `--data-dir ${q(join(home, 'data'))}`,
    ].join(' ');
    tmux('new-session', '-d', '-s', 'first', '-x', '120', '-y', '30', command);
    await until('the name prompt', (s) => s.includes('Enter your name (without any space):'));
    tmux('send-keys', '-t', 'first', 'dana', 'Enter');
    const file = join(home, '.config', 'peerchat', 'config.json');
    await until('the offer to save', (s) => s.includes(`Remember "dana" in ${file}? [Y/n]`));
    tmux('send-keys', '-t', 'first', 'y', 'Enter');
    await until(
      'the saved note and the prompt',
      (s) => s.includes('Saved: peerchat will use the name "dana"') && /dana> *$/m.test(s),
    );
    t.same(JSON.parse(readFileSync(file, 'utf8')), { name: 'dana' });
    t.equal(statSync(file).mode & 0o777, 0o600, 'the user config is private');
    tmux('send-keys', '-t', 'first', '.quit', 'Enter');

    // the next start, without a terminal, takes the saved name
    const next = await execa(
      process.execPath,
      [BIN, '--host', '127.0.0.1', '--port', '0', '--data-dir', join(home, 'data2'), '-e', 'peer.name'],
      {
        env: { ...isolatedEnv(home), XDG_CONFIG_HOME: join(home, '.config') },
        extendEnv: false,
        reject: false,
      },
    );
    t.equal(next.stdout.trim(), "'dana'", next.stderr);
  },
);
