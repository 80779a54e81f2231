import { existsSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { definePlugin, type Plugin, type PluginApi, PluginHost } from '../../src/plugins/index.js';
import type { ChatMessage } from '../../src/types.js';
import { FakePeer, makeMessage, makePeerInfo, until } from './helpers/fake-peer.js';
import { makeHost } from './helpers/host.js';

/** A plugin that appends its tag to incoming text. */
function tagger(name: string, order?: Plugin['order']): Plugin {
  return definePlugin({
    name,
    ...(order ? { order } : {}),
    setup: () => ({ transformIncoming: (msg) => ({ ...msg, text: `${msg.text} ${name}` }) }),
  });
}

t.test(
  'transform hooks run pre, normal, post; load order within a group; each gets the previous result',
  async (t) => {
    const { host, peer } = makeHost(t);
    await host.load([
      { plugin: tagger('A', 'post') },
      { plugin: tagger('B') },
      { plugin: tagger('C', 'pre') },
      { plugin: tagger('D', 'normal') },
      { plugin: tagger('E', 'pre') },
    ]);
    t.same(
      host.plugins.map((p) => p.name),
      ['C', 'E', 'B', 'D', 'A'],
    );
    const out = await peer.receive({ text: 'hi' });
    t.equal(out?.text, 'hi C E B D A');
  },
);

t.test('returning null drops the message: later transforms and observers never see it', async (t) => {
  const { host, peer } = makeHost(t);
  const seen: string[] = [];
  await host.load([
    {
      plugin: definePlugin({
        name: 'drop',
        setup: () => ({ transformIncoming: (m) => (m.text === 'spam' ? null : m) }),
      }),
    },
    {
      plugin: definePlugin({
        name: 'after',
        setup: () => ({
          transformIncoming: (m) => {
            seen.push(`t:${m.text}`);
            return m;
          },
          onMessage: (m) => {
            seen.push(`o:${m.text}`);
          },
        }),
      }),
    },
  ]);
  t.equal(await peer.receive({ text: 'spam' }), null);
  await peer.receive({ text: 'ham' });
  await until(() => seen.includes('o:ham'));
  t.same(seen, ['t:ham', 'o:ham']);
  t.same(
    peer.delivered.map((m) => m.text),
    ['ham'],
  );
});

t.test('transformOutgoing changes what is sent; null drops it', async (t) => {
  const { host, peer } = makeHost(t);
  await host.load([
    {
      plugin: definePlugin({
        name: 'shout',
        setup: () => ({
          transformOutgoing: (m) => (m.text === 'secret' ? null : { ...m, text: m.text.toUpperCase() }),
        }),
      }),
    },
  ]);
  await peer.send('127.0.0.1:4001', 'hello');
  const dropped = await peer.send('127.0.0.1:4001', 'secret');
  t.equal(dropped.state, 'failed');
  t.same(peer.sent, [{ target: '127.0.0.1:4001', text: 'HELLO' }]);
});

t.test('a transform changes text and name, never who sent it', async (t) => {
  const { host, peer } = makeHost(t);
  await host.load([
    {
      plugin: definePlugin({
        name: 'forger',
        setup: () => ({
          transformIncoming: (m) => ({
            ...m,
            text: 'new',
            name: 'Alice A.',
            from: '6.6.6.6:1',
            verified: true,
            key: null,
          }),
        }),
      }),
    },
  ]);
  const out = await peer.receive({ from: '127.0.0.1:4001', verified: false, key: 'cc'.repeat(32) });
  t.match(out, {
    text: 'new',
    name: 'Alice A.',
    from: '127.0.0.1:4001',
    verified: false,
    key: 'cc'.repeat(32),
  });
});

t.test('observe hooks run in parallel, get their own copies, and their results are ignored', async (t) => {
  const { host } = makeHost(t);
  let releaseFirst!: () => void;
  const firstWaits = new Promise<void>((r) => {
    releaseFirst = r;
  });
  const seen: string[] = [];
  await host.load([
    {
      plugin: definePlugin({
        name: 'first',
        setup: () => ({
          async onMessage(m) {
            m.text = 'mutated';
            await firstWaits; // resolves only once "second" has run: sequential hooks would time out here
            seen.push('first');
          },
        }),
      }),
    },
    {
      plugin: definePlugin({
        name: 'second',
        setup: () => ({
          onMessage(m) {
            seen.push(`second:${m.text}`);
            releaseFirst();
            return 'ignored' as unknown as undefined;
          },
        }),
      }),
    },
  ]);
  const msg = makeMessage({ text: 'orig' });
  await host.observe('onMessage', msg);
  t.same(seen, ['second:orig', 'first']);
  t.equal(msg.text, 'orig', "the peer's own message object is untouched");
});

t.test('attach() feeds every peer event to its observe hook; stop() detaches', async (t) => {
  const peer = new FakePeer();
  const host = new PluginHost({ peer, dataDir: null, log: () => {} });
  const calls: unknown[][] = [];
  await host.load([
    {
      plugin: definePlugin({
        name: 'spy',
        setup: () => ({
          onStart: () => void calls.push(['start']),
          onStop: () => void calls.push(['stop']),
          onMessage: (m) => void calls.push(['message', m.text]),
          onSent: (m, r) => void calls.push(['sent', m.text, r.state]),
          onDelivered: (m) => void calls.push(['delivered', m.text]),
          onPeerConnected: (p) => void calls.push(['connected', p.address]),
          onPeerDisconnected: (p, reason) => void calls.push(['disconnected', p.address, reason]),
          onPeerDiscovered: (p) => void calls.push(['discovered', p.address]),
        }),
      }),
    },
  ]);
  host.attach();
  host.attach(); // idempotent
  await host.start();
  const info = makePeerInfo({ address: '127.0.0.1:5000' });
  peer.emit('message', makeMessage({ text: 'in' }));
  peer.emit('sent', makeMessage({ text: 'out', direction: 'out' }), {
    id: 'x',
    to: info.address,
    protocol: 'native',
    state: 'acked',
  });
  peer.emit('message-delivered', makeMessage({ text: 'late', direction: 'out' }));
  peer.emit('peer-connected', info);
  peer.emit('peer-disconnected', info, 'lost');
  peer.emit('peer-discovered', info);
  await until(() => calls.length === 7);
  await host.stop();
  peer.emit('message', makeMessage({ text: 'after stop' }));
  t.same(calls, [
    ['start'],
    ['message', 'in'],
    ['sent', 'out', 'acked'],
    ['delivered', 'late'],
    ['connected', '127.0.0.1:5000'],
    ['disconnected', '127.0.0.1:5000', 'lost'],
    ['discovered', '127.0.0.1:5000'],
    ['stop'],
  ]);
  t.equal(peer.listenerCount('message'), 0);
});

t.test(
  'isolation: a throwing or rejecting hook is reported with plugin and hook; others carry on',
  async (t) => {
    const { host, peer, warnings } = makeHost(t);
    const boom = new Error('boom');
    const got: string[] = [];
    await host.load([
    { plugin: definePlugin({ name: 'thrower', setup: () => ({ onMessage: () => { throw boom; } }) }) },
    { plugin: definePlugin({ name: 'rejecter', setup: () => ({ onMessage: async () => Promise.reject(new Error('nope')) }) }) },
    { plugin: definePlugin({ name: 'good', setup: () => ({ onMessage: (m) => void got.push(m.text) }) }) },
  ]); // biome-ignore format: compact
    await host.observe('onMessage', makeMessage({ text: 'x' }));
    t.same(got, ['x']);
    t.equal(warnings.length, 2);
    t.match(warnings[0], {
      code: 'ERR_PLUGIN_HOOK',
      message: /plugin "thrower" hook "onMessage" failed: boom/,
    });
    t.equal(warnings[0]!.cause, boom, 'the cause is kept');
    t.match(warnings[1], {
      code: 'ERR_PLUGIN_HOOK',
      message: /plugin "rejecter" hook "onMessage" failed: nope/,
    });
    // and through the peer: the message is delivered all the same
    await peer.receive({ text: 'y' });
    await until(() => got.includes('y'));
    t.pass('the peer delivered the message');
  },
);

t.test('a failing transform leaves the message as it was, says so, and the chain goes on', async (t) => {
  const { host, peer, warnings } = makeHost(t);
  await host.load([
    { plugin: tagger('A') },
    { plugin: definePlugin({ name: 'bad', setup: () => ({ transformIncoming: async () => { throw new Error('bad day'); } }) }) },
    { plugin: definePlugin({ name: 'wrong', setup: () => ({ transformIncoming: () => 42 as unknown as ChatMessage }) }) },
    { plugin: tagger('B') },
  ]); // biome-ignore format: compact
  const out = await peer.receive({ text: 'm' });
  t.equal(out?.text, 'm A B');
  t.match(warnings, [
    {
      code: 'ERR_PLUGIN_HOOK',
      message: /plugin "bad" hook "transformIncoming" failed: bad day; the message was left unchanged/,
    },
    {
      code: 'ERR_PLUGIN_HOOK',
      message: /plugin "wrong" hook "transformIncoming" returned number 42 .*left unchanged/,
    },
  ]);
});

t.test('a hanging hook is reported after the timeout and no longer awaited', async (t) => {
  const { host, peer, warnings } = makeHost(t, { hookTimeoutMs: 50 });
  const never = new Promise<never>(() => {});
  await host.load([
    {
      plugin: definePlugin({
        name: 'sleepy',
        setup: () => ({ onMessage: () => never, transformIncoming: () => never }),
      }),
    },
    { plugin: tagger('B') },
  ]);
  const started = Date.now();
  const out = await peer.receive({ text: 'm' });
  t.equal(out?.text, 'm B', 'the transform chain went on without it');
  await host.observe('onMessage', makeMessage());
  t.ok(Date.now() - started < 2000, 'the peer did not wait for the hanging hooks');
  t.match(
    warnings.map((w) => w.code),
    ['ERR_PLUGIN_HOOK_TIMEOUT', 'ERR_PLUGIN_HOOK_TIMEOUT'],
  );
  t.match(warnings[0]!.message, /plugin "sleepy" hook "transformIncoming" did not settle within 50 ms/);
});

t.test(
  'a plugin that keeps failing is disabled with a warning: hooks, commands and helpers stop',
  async (t) => {
    const { host, peer, warnings } = makeHost(t, { maxFailures: 3 });
    let calls = 0;
    let api!: PluginApi;
    await host.load([
      {
        plugin: definePlugin({
          name: 'flaky',
          setup(a) {
            api = a;
            a.addCommand('flaky', { help: 'x', action: () => 'ok' });
            a.addHelper('flakyHelper', () => 1);
            return {
              // a local hook: failures on remote input mute one peer instead (test/security/plugin-abuse)
              onStart() {
                calls++;
                throw new Error(`fail ${calls}`);
              },
            };
          },
        }),
      },
    ]);
    t.equal(host.helpers.flakyHelper?.(), 1);
    for (let i = 0; i < 5; i++) await host.observe('onStart');
    t.equal(calls, 3, 'not called once disabled');
    t.same(
      warnings.map((w) => w.code),
      ['ERR_PLUGIN_HOOK', 'ERR_PLUGIN_HOOK', 'ERR_PLUGIN_HOOK', 'ERR_PLUGIN_DISABLED'],
    );
    t.match(warnings[3]!.message, /plugin "flaky" was disabled after 3 failures.*fail 3/);
    t.same(host.plugins, [{ name: 'flaky', spec: 'flaky', order: 'normal', disabled: true }]);
    t.notOk(host.commands.has('flaky'));
    t.throws(() => host.helpers.flakyHelper?.(), { code: 'ERR_PLUGIN_DISABLED' });
    await t.rejects(api.send('127.0.0.1:4001', 'x'), { code: 'ERR_PLUGIN_DISABLED' });
    t.equal(peer.sent.length, 0);
  },
);

t.test('failures spread out beyond the window do not disable', async (t) => {
  const { host, warnings } = makeHost(t, { maxFailures: 2, failureWindowMs: 1 });
  await host.load([{ plugin: definePlugin({ name: 'rare', setup: () => ({ onMessage: () => { throw new Error('x'); } }) }) }]); // biome-ignore format: compact
  for (let i = 0; i < 3; i++) {
    const before = Date.now();
    await host.observe('onMessage', makeMessage());
    await until(() => Date.now() - before > 2); // let the window pass
  }
  t.equal(warnings.filter((w) => w.code === 'ERR_PLUGIN_DISABLED').length, 0);
  t.equal(host.plugins[0]?.disabled, false);
});

t.test('the api: peer identity, send/reply/broadcast/peers, options, logger, history', async (t) => {
  const history = async (target?: string) => [makeMessage({ text: `history of ${target}` })];
  const { host, peer, logs } = makeHost(t, { history });
  peer.peers = [
    makePeerInfo({ address: '127.0.0.1:4001' }),
    makePeerInfo({ address: '127.0.0.1:4002', connected: false }),
  ];
  let api!: PluginApi<{ greeting: string }>;
  await host.load([
    {
      plugin: definePlugin({
        name: 'probe',
        setup(a: PluginApi<{ greeting: string }>, options) {
          api = a;
          a.log.info('hello %s', options.greeting);
        },
      }),
      options: { greeting: 'world' },
      baseDir: '/some/dir',
    },
  ]);
  t.match(api, { plugin: 'probe', name: 'me', address: '127.0.0.1:4000', id: peer.id, baseDir: '/some/dir' });
  t.same(api.options, { greeting: 'world' });
  t.same(logs, [{ level: 'info', message: '[probe] hello world' }]);
  t.equal(api.peers().length, 2);
  t.equal(api.connectedPeers().length, 1);
  await api.send('127.0.0.1:4001', 'a');
  await api.reply(makeMessage({ from: '127.0.0.1:4009' }), 'b', { wait: false });
  const results = await api.broadcast('c');
  t.equal(results.length, 1);
  t.same(peer.sent, [
    { target: '127.0.0.1:4001', text: 'a' },
    { target: '127.0.0.1:4009', text: 'b', opts: { wait: false } },
    { target: '127.0.0.1:4001', text: 'c' },
  ]);
  const h = await api.history?.('alice');
  t.equal(h?.[0]?.text, 'history of alice');
});

t.test('api.history is absent without a history reader', async (t) => {
  const { host } = makeHost(t);
  let api!: PluginApi;
  await host.load([
    {
      plugin: definePlugin({
        name: 'p',
        setup: (a) => {
          api = a;
        },
      }),
    },
  ]);
  t.equal(api.history, undefined);
});

t.test(
  'stateDir: inside dataDir, created on first access; temporary and removed on stop without one',
  async (t) => {
    const dataDir = t.testdir();
    const { host } = makeHost(t, { dataDir });
    let api!: PluginApi;
    await host.load([
      {
        plugin: definePlugin({
          name: '@scope/odd name',
          setup: (a) => {
            api = a;
          },
        }),
      },
    ]);
    t.notOk(existsSync(path.join(dataDir, 'plugins')), 'not created before use');
    t.equal(api.stateDir, path.join(dataDir, 'plugins', '_scope_odd_name'));
    t.ok(existsSync(api.stateDir));

    const peer = new FakePeer();
    const tempHost = new PluginHost({ peer, dataDir: null, log: () => {} });
    let tempApi!: PluginApi;
    await tempHost.load([
      {
        plugin: definePlugin({
          name: 'tmp',
          setup: (a) => {
            tempApi = a;
          },
        }),
      },
    ]);
    const dir = tempApi.stateDir;
    t.ok(existsSync(dir));
    await tempHost.stop();
    t.notOk(existsSync(dir), 'removed on stop');
  },
);

t.test('commands: added during setup, failures become warnings, later additions refused', async (t) => {
  const { host, warnings } = makeHost(t);
  let api!: PluginApi;
  await host.load([
    {
      plugin: definePlugin({
        name: 'cmds',
        setup(a) {
          api = a;
          a.addCommand('greet', { help: 'Greet someone: .greet <name>', action: (args) => `hello ${args}` });
          a.addCommand('fail', {
            help: 'Fails',
            action: async () => {
              throw new Error('oops');
            },
          });
        },
      }),
    },
  ]);
  t.same([...host.commands.keys()], ['greet', 'fail']);
  t.match(host.commands.get('greet'), { help: 'Greet someone: .greet <name>', plugin: 'cmds' });
  t.equal(await host.commands.get('greet')?.action('bob'), 'hello bob');
  t.equal(await host.commands.get('fail')?.action(''), undefined);
  t.match(warnings, [{ code: 'ERR_PLUGIN_HOOK', message: /plugin "cmds" command ".fail" failed: oops/ }]);
  t.throws(() => api.addCommand('late', { help: '', action: () => {} }), { code: 'ERR_USAGE' });
  t.throws(() => api.addHelper('late', () => {}), { code: 'ERR_USAGE' });
});

t.test('helpers: added to host.helpers and visible, read-only, to every plugin', async (t) => {
  const { host } = makeHost(t);
  let other!: PluginApi;
  await host.load([
    { plugin: definePlugin({ name: 'provider', setup: (a) => a.addHelper('double', (n: number) => n * 2) }) },
    {
      plugin: definePlugin({
        name: 'user',
        setup: (a) => {
          other = a;
        },
      }),
    },
  ]);
  t.equal(host.helpers.double?.(21), 42);
  t.equal(other.helpers.double?.(2), 4);
  t.throws(() => {
    (other.helpers as Record<string, unknown>).double = () => 0;
  }, TypeError);
  t.equal(host.helpers.double?.(1), 2);
});

t.test('without a warning listener, warnings go to the log', async (t) => {
  const peer = new FakePeer();
  const logs: string[] = [];
  const host = new PluginHost({ peer, dataDir: null, log: (level, m) => logs.push(`${level} ${m}`) });
  t.teardown(() => host.stop());
  await host.load([{ plugin: definePlugin({ name: 'p', setup: () => ({ onStart: () => { throw new Error('x'); } }) }) }]); // biome-ignore format: compact
  await host.start();
  t.same(logs, ['warn ERR_PLUGIN_HOOK: plugin "p" hook "onStart" failed: x']);
});

t.test('a hanging onStop does not hold stop() beyond the timeout', async (t) => {
  const { host, warnings } = makeHost(t, { hookTimeoutMs: 30 });
  await host.load([{ plugin: definePlugin({ name: 'stuck', setup: () => ({ onStop: () => new Promise<void>(() => {}) }) }) }]); // biome-ignore format: compact
  await host.stop();
  t.match(warnings, [{ code: 'ERR_PLUGIN_HOOK_TIMEOUT', message: /plugin "stuck" hook "onStop"/ }]);
});
