import { createInterface } from 'node:readline';
import { PassThrough } from 'node:stream';
import t from 'tap';
import { attachPrinter, Printer } from '../../src/repl/printer.js';
import { Store } from '../../src/store/store.js';
import { nativePeer, tempDir } from '../helpers/peers.js';
import { until } from '../helpers/wait.js';
import { collect, FakePeer, makePeerInfo } from './fake-peer.js';

// strip ANSI cursor/erase sequences to see the visible characters in order
const visible = (s: string) => s.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');

t.test('without a terminal, lines are just written', async (t) => {
  const out = new PassThrough();
  const seen = collect(out);
  const printer = new Printer({ output: out, color: false, terminal: false });
  printer.print('one');
  printer.info('two');
  t.equal(seen.text(), 'one\ntwo\n');
});

t.test('in a terminal, the half-typed line is redrawn after the printed text', async (t) => {
  const input = new PassThrough();
  const out = new PassThrough();
  const seen = collect(out);
  const rl = createInterface({ input, output: out, terminal: true, prompt: 'me> ' });
  t.teardown(() => rl.close());
  rl.prompt();
  input.write('peer.se');
  await new Promise((r) => setImmediate(r));
  const printer = new Printer({ output: out, color: false, terminal: true });
  printer.attach(rl);
  printer.setPromptVisible(true);
  const before = seen.text().length;
  printer.print('[12:00:00] 1.2.3.4:5 bob (unverified): hi');
  await new Promise((r) => setImmediate(r));
  const written = seen.text().slice(before);
  t.match(written, /^\x1b\[0G|^\r|\x1b\[1G/, 'starts by moving to column 0');
  t.match(written, /\x1b\[0J/, 'erases the prompt rows');
  t.equal(
    visible(written),
    '[12:00:00] 1.2.3.4:5 bob (unverified): hi\nme> peer.se',
    'the message, then the prompt with the typed text',
  );
  t.equal(rl.line, 'peer.se', 'readline still holds the typed text');
  t.equal(rl.cursor, 7, 'and the cursor');
});

t.test('the cursor inside the line is restored', async (t) => {
  const input = new PassThrough();
  const out = new PassThrough();
  const seen = collect(out);
  const rl = createInterface({ input, output: out, terminal: true, prompt: '> ' });
  t.teardown(() => rl.close());
  rl.prompt();
  input.write('abcdef\x1b[D\x1b[D'); // two left arrows
  await new Promise((r) => setImmediate(r));
  t.equal(rl.cursor, 4);
  const printer = new Printer({ output: out, color: false, terminal: true });
  printer.attach(rl);
  printer.setPromptVisible(true);
  const before = seen.text().length;
  printer.print('news');
  await new Promise((r) => setImmediate(r));
  const written = seen.text().slice(before);
  t.match(written, /> abcdef\x1b\[7G$/, 'cursor back after "> abcd" (CSI G is 1-based)');
  t.equal(rl.cursor, 4);
});

t.test('while no prompt is shown (a line is evaluating), nothing is redrawn', async (t) => {
  const input = new PassThrough();
  const out = new PassThrough();
  const seen = collect(out);
  const rl = createInterface({ input, output: out, terminal: true, prompt: '> ' });
  t.teardown(() => rl.close());
  const printer = new Printer({ output: out, color: false, terminal: true });
  printer.attach(rl);
  printer.setPromptVisible(false);
  printer.print('plain');
  await new Promise((r) => setImmediate(r));
  t.equal(seen.text(), 'plain\n');
});

t.test('attachPrinter prints events, filters held messages, and detaches', async (t) => {
  const peer = new FakePeer();
  const out = new PassThrough();
  const errOut = new PassThrough();
  const seen = collect(out);
  const errSeen = collect(errOut);
  const printer = new Printer({ output: out, color: false, terminal: false });
  const warnings = new Printer({ output: errOut, color: false, terminal: false });
  let showOthers = true;
  const off = attachPrinter(peer, printer, { shows: (m) => showOthers || m.from === '1.1.1.1:1', warnings });
  const alice = makePeerInfo({
    address: '1.1.1.1:1',
    name: 'alice',
    protocol: 'native',
    fingerprint: 'aa:bb:cc:dd',
  });
  peer.emit('peer-connected', alice);
  peer.emit('peer-discovered', makePeerInfo({ address: '2.2.2.2:2' }));
  peer.deliver({ from: '1.1.1.1:1', name: 'alice', text: 'hey' });
  showOthers = false;
  peer.emitHeld = true;
  peer.deliver({ from: '3.3.3.3:3', name: 'carol', text: 'held back' });
  peer.emit('peer-disconnected', alice, 'exit');
  peer.emit('warning', { code: 'ERR_BAD_FRAME', message: 'bad\nframe' });
  // the outbox says an expiry twice, as a warning and as message-failed: the REPL prints it once
  peer.emit('warning', {
    code: 'ERR_MESSAGE_EXPIRED',
    message: 'message 1: not delivered before it expired',
  });
  peer.emit(
    'message-failed',
    { ...peer.deliver({ from: '9.9.9.9:9', text: 'lost one' }), direction: 'out' },
    'expired',
  );
  peer.emit('message', {
    ...peer.deliver({ from: '1.1.1.1:1', text: 'x' }),
    direction: 'out',
    text: 'outgoing',
  });
  off();
  peer.deliver({ from: '1.1.1.1:1', name: 'alice', text: 'after detach' });
  const lines = seen.text().trim().split('\n');
  t.match(lines[0], /\+ alice 1\.1\.1\.1:1 connected \(native, aa:bb:cc:dd\)$/);
  t.match(lines[1], /\* discovered 2\.2\.2\.2:2$/);
  t.match(lines[2], /1\.1\.1\.1:1 alice \(unverified\): hey$/);
  t.match(lines[3], /- alice 1\.1\.1\.1:1 disconnected \(exit\)$/);
  t.match(lines[5], /1\.1\.1\.1:1 \? \(unverified\): x$/);
  t.match(lines[4], /! not delivered to 9\.9\.9\.9:9 \("lost one"\): expired$/);
  t.equal(lines.length, 6, 'held, outgoing and post-detach messages are not printed');
  t.match(errSeen.text(), /warning ERR_BAD_FRAME: bad frame\n$/);
  t.equal(peer.listenerCount('message'), 0);
});

t.test('--log-level: error hides warnings and peer events, never messages', async (t) => {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d) => {
    text += d;
  });
  const quiet = new Printer({ output: out, color: false, terminal: false, logLevel: 'error' });
  quiet.warning({ code: 'ERR_BAD_FRAME', message: 'noise' });
  quiet.connected({
    address: '127.0.0.1:1',
    name: 'a',
    key: null,
    fingerprint: null,
    protocol: 'classic',
    connected: true,
    via: 'tcp',
  });
  quiet.message({
    id: '1',
    from: '127.0.0.1:1',
    name: 'a',
    text: 'still shown',
    protocol: 'classic',
    verified: false,
    key: null,
    fingerprint: null,
    ts: Date.now(),
    direction: 'in',
  });
  await new Promise((r) => setImmediate(r));
  t.notMatch(text, /noise/);
  t.notMatch(text, /connected/);
  t.match(text, /still shown/);
  const warnOnly = new Printer({ output: out, color: false, terminal: false, logLevel: 'warn' });
  warnOnly.warning({ code: 'ERR_BAD_FRAME', message: 'shown warning' });
  await new Promise((r) => setImmediate(r));
  t.match(text, /shown warning/);
});

t.test(
  'a known contact that comes back reads as back, not discovered; a new peer is discovered',
  async (t) => {
    const peer = new FakePeer();
    const out = new PassThrough();
    const seen = collect(out);
    const printer = new Printer({ output: out, color: false, terminal: false });
    const off = attachPrinter(peer, printer);
    t.teardown(off);
    const bob = makePeerInfo({ address: '1.1.1.1:1', name: 'bob', key: 'b'.repeat(64), connected: true });
    peer.book = [
      {
        key: bob.key,
        fingerprint: null,
        name: 'bob',
        addresses: ['9.9.9.9:9'],
        firstSeen: 1,
        lastSeen: 2,
        met: 'tcp',
        connected: false,
      },
    ];
    peer.emit('peer-discovered', bob);
    peer.emit('peer-connected', bob);
    const carol = makePeerInfo({ address: '2.2.2.2:2', name: 'carol', connected: true });
    peer.emit('peer-discovered', carol);
    peer.emit('peer-connected', carol);
    peer.emit('peer-discovered', makePeerInfo({ address: '3.3.3.3:3', key: 'b'.repeat(64) }));
    const lines = seen.text().trim().split('\n');
    t.match(lines[0], /\+ bob 1\.1\.1\.1:1 is back \(/);
    t.match(lines[1], /\* discovered carol 2\.2\.2\.2:2$/);
    t.match(lines[2], /\+ carol 2\.2\.2\.2:2 connected \(/);
    t.match(
      lines[3],
      /\* discovered 3\.3\.3\.3:3$/,
      'learned from a peer list, not connected: still discovered',
    );
    t.equal(lines.length, 4);
  },
);

t.test('a real contact that restarts at another port is announced as back', async (t) => {
  const aliceDir = tempDir(t);
  const alice = await nativePeer(t, 'alice', { dataDir: aliceDir, store: Store.open({ dataDir: aliceDir }) });
  const out = new PassThrough();
  const seen = collect(out);
  attachPrinter(alice, new Printer({ output: out, color: false, terminal: false }));
  const bobDir = tempDir(t);
  const bob = () => nativePeer(t, 'bob', { dataDir: bobDir });
  const first = await bob();
  await first.connect(alice.address);
  await until(() => alice.contacts('bob').length === 1);
  await first.exit();
  await until(() => /bob .* disconnected/.test(seen.text()));
  const second = await bob();
  await second.connect(alice.address);
  await until(() => /is back/.test(seen.text()));
  const lines = seen.text().trim().split('\n');
  t.equal(lines.filter((l) => /discovered bob/.test(l)).length, 1, 'discovered once, when first met');
  t.match(lines.at(-1), new RegExp(`\\+ bob ${second.address.replace(/\./g, '\\.')} is back \\(native, `));
});
