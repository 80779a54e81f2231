/** Plugin output in the REPL: command results, `api.log` lines by --log-level, through the printer. */
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { definePlugin, PluginHost } from '../../src/plugins/index.js';
import { LogRelay } from '../../src/repl/plugin-log.js';
import type { LogLevel } from '../../src/repl/printer.js';
import { runScript } from '../../src/repl/script.js';
import { startRepl } from '../../src/repl/start.js';
import { collect, FakePeer, waitFor } from './fake-peer.js';

const PLUGINS = fileURLToPath(new URL('../../plugins/', import.meta.url));
const visible = (s: string) => s.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');

/** A plugin written from docs/plugins.md: a command with a string result, and log lines. */
const shout = definePlugin({
  name: 'shout',
  setup(api) {
    api.log.info('loaded');
    api.log.debug('setup details');
    let count = 0;
    api.addCommand('shoutcount', {
      help: 'How many shouts: .shoutcount',
      action: () => {
        count++;
        api.log.debug(`counted ${count}`);
        api.log.info('counting');
        return `shouts: ${count}\nthat is all`;
      },
    });
  },
});

async function setup(t: Test, logLevel: LogLevel, terminal = false) {
  const peer = new FakePeer();
  peer.addPeer({ address: '127.0.0.1:5002', name: 'bob', connected: true });
  const logs = new LogRelay();
  const host = new PluginHost({ peer, dataDir: t.testdir(), log: logs.log });
  await host.load([
    { spec: path.join(PLUGINS, 'filter', 'index.js'), baseDir: PLUGINS },
    { spec: path.join(PLUGINS, 'auto-reply', 'index.js'), baseDir: PLUGINS },
    { plugin: shout },
  ]);
  host.attach();
  t.teardown(() => host.stop());
  const input = new PassThrough();
  const output = new PassThrough();
  const out = collect(output);
  const handle = await startRepl({
    peer,
    input,
    output,
    errorOutput: new PassThrough(),
    terminal,
    color: false,
    json: false,
    commands: host.commands,
    helpers: host.helpers,
    logLevel,
    logs,
    onQuit: async () => {},
  });
  t.teardown(() => handle.quit());
  const type = async (line: string, until: RegExp) => {
    const start = out.text().length;
    input.write(line);
    return waitFor(output, () => visible(out.text().slice(start)), until);
  };
  return { peer, out, type, handle, output };
}

t.test('a string returned by a plugin command is printed', async (t) => {
  const { type } = await setup(t, 'info');
  await type('.block bob\n', /blocked: bob, 127\.0\.0\.1:5002\nme> $/);
  await type('.blocked\n', /bob\n127\.0\.0\.1:5002\nme> $/);
  await type('.unblock bob\n', /unblocked: bob, 127\.0\.0\.1:5002\nme> $/);
  await type('.away lunch\n', /away: "lunch"\nme> $/);
  await type('.shoutcount\n', /shouts: 1\nthat is all\nme> $/);
});

t.test('api.log lines follow --log-level', async (t) => {
  const info = await setup(t, 'info');
  await waitFor(info.output, () => info.out.text(), /info \[shout\] loaded/);
  await info.type('.shoutcount\n', /info \[shout\] counting[\s\S]*me> $/);
  t.notMatch(info.out.text(), /debug/, 'no debug lines at info');

  const debug = await setup(t, 'debug');
  await waitFor(debug.output, () => debug.out.text(), /debug \[shout\] setup details/);
  await debug.type('.shoutcount\n', /debug \[shout\] counted 1[\s\S]*me> $/);

  const quiet = await setup(t, 'warn');
  await quiet.type('.shoutcount\n', /shouts: 1[\s\S]*me> $/);
  t.notMatch(quiet.out.text(), /\[shout\]/, 'no info lines at warn');
});

t.test('a plugin log line keeps a half-typed line intact (terminal)', async (t) => {
  const { type, output, out, handle } = await setup(t, 'info', true);
  await type('peer.na', /peer\.na$/);
  const start = out.text().length;
  handle.printer.log('info', '[shout] while typing');
  const after = await waitFor(
    output,
    () => visible(out.text().slice(start)),
    /while typing[\s\S]*me> peer\.na$/,
  );
  t.match(after, /info \[shout\] while typing\n/, 'printed on its own line above the prompt');
});

t.test('script mode: plugin logs go to stderr by level', async (t) => {
  const peer = new FakePeer();
  const logs = new LogRelay();
  logs.log('debug', '[p] early debug');
  logs.log('info', '[p] early info');
  const input = new PassThrough();
  const output = new PassThrough();
  const errorOutput = new PassThrough();
  const err = collect(errorOutput);
  const done = runScript({ peer, input, output, errorOutput, json: false, logLevel: 'info', logs });
  input.end('1\n');
  t.equal(await done, 0);
  t.match(err.text(), /info \[p\] early info/, 'held lines are printed once a printer attaches');
  t.notMatch(err.text(), /early debug/);
});

t.test('notify writing to stderr during typing goes above the prompt, the line stays intact', async (t) => {
  const peer = new FakePeer();
  peer.addPeer({ address: '127.0.0.1:5002', name: 'bob', connected: true });
  const stderr = Object.assign(new PassThrough(), { isTTY: true });
  const raw = collect(stderr);
  const host = new PluginHost({ peer, dataDir: t.testdir(), log: () => {} });
  await host.load([
    {
      spec: path.join(PLUGINS, 'notify', 'index.js'),
      options: { mode: 'both', keywords: ['deploy'], output: stderr, color: false },
      baseDir: PLUGINS,
    },
  ]);
  host.attach();
  t.teardown(() => host.stop());
  const input = new PassThrough();
  const output = new PassThrough();
  const out = collect(output);
  const handle = await startRepl({
    peer,
    input,
    output,
    errorOutput: stderr,
    terminal: true,
    color: false,
    json: false,
    onQuit: async () => {},
  });
  t.teardown(() => handle.quit());
  const line = () => (handle.server as unknown as { line: string }).line;
  input.write('peer.na');
  await waitFor(output, () => line(), /^peer\.na$/);
  const start = out.text().length;
  peer.deliver({ from: '127.0.0.1:5002', name: 'bob', text: 'deploy done', ts: Date.now() });
  const shown = await waitFor(
    output,
    () => visible(out.text().slice(start)),
    /\* bob mentioned "deploy": deploy done\n[\s\S]*me> peer\.na$/,
  );
  t.match(shown, /bob \(unverified\): deploy done\n/, 'the message itself');
  t.equal(line(), 'peer.na', 'the half-typed line is kept');
  t.notMatch(raw.text(), /mentioned/, 'nothing went around the printer');
  t.match(out.text(), /\x07/, 'the bell still rings (on the terminal the prompt is on)');
});
