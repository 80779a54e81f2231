/**
 * Issue 15 #14: a remote peer can neither disable a plugin for everyone by making its hooks fail
 * nor drive two auto-reply peers into a ping-pong.
 */
import t, { type Test } from 'tap';
import type { Warning } from '../../src/errors.js';
import { Peer } from '../../src/peer/peer.js';
import { PluginHost } from '../../src/plugins/index.js';
import type { ChatMessage } from '../../src/types.js';
import { until, waitFor } from '../helpers/wait.js';
import { withPlugin } from '../plugins/helpers/first-party.js';
import { makeHost } from '../plugins/helpers/host.js';

const EVE = { from: '127.0.1.66:6666', name: 'eve', key: null };
const ALICE = { from: '127.0.1.1:5001', name: 'alice', key: null };

t.test("failures caused by one peer's input do not disable the plugin for everyone", async (t) => {
  const { host, peer, warnings } = makeHost(t, { maxFailures: 5 });
  const seen: string[] = [];
  await host.load([
    {
      plugin: {
        name: 'fragile',
        setup: () => ({
          onMessage(msg: ChatMessage) {
            if (msg.text.startsWith('boom')) throw new Error('cannot parse that');
            seen.push(`${msg.name}:${msg.text}`);
          },
          transformIncoming(msg: ChatMessage) {
            if (msg.text.startsWith('boom')) throw new Error('cannot transform that');
            return msg;
          },
        }),
      },
    },
  ]);
  for (let i = 0; i < 20; i++) await peer.receive({ ...EVE, text: `boom ${i}` });
  await host.idle();
  await peer.receive({ ...ALICE, text: 'hello' });
  await host.idle();
  t.equal(host.plugins[0]?.disabled, false, 'the plugin is still enabled');
  t.same(seen, ['alice:hello'], "alice's message still reaches the plugin");
  t.notOk(
    warnings.some((w) => w.code === 'ERR_PLUGIN_DISABLED'),
    'no ERR_PLUGIN_DISABLED from remote input alone',
  );
  t.ok(warnings.length < 40, `the failing peer does not flood warnings (${warnings.length})`);
});

t.test('a plugin failing on local hooks is still disabled', async (t) => {
  const { host, warnings } = makeHost(t, { maxFailures: 3 });
  await host.load([
    {
      plugin: {
        name: 'broken',
        setup: () => ({
          onStart: () => {
            throw new Error('x');
          },
        }),
      },
    },
  ]);
  for (let i = 0; i < 3; i++) await host.start();
  t.equal(host.plugins[0]?.disabled, true);
  t.ok(warnings.some((w) => w.code === 'ERR_PLUGIN_DISABLED'));
});

t.test('auto-reply refuses an interval under its 1 s floor', async (t) => {
  for (const intervalMs of [0, 10, 999]) {
    await t.rejects(withPlugin(t, 'auto-reply', { options: { intervalMs } }), { code: 'ERR_PLUGIN_LOAD' });
  }
  await withPlugin(t, 'auto-reply', { options: { intervalMs: 1000 } });
});

async function awayPeer(t: Test, name: string) {
  // wired like src/app.ts: the host first (it reaches the peer lazily), the peer with its interceptors
  let ref: Peer | undefined;
  const host = new PluginHost({ peer: () => ref!, dataDir: t.testdir(), hookTimeoutMs: 2000, log: () => {} });
  const peer = new Peer({
    name,
    host: '127.0.0.1',
    port: 0,
    identity: null,
    dataDir: null,
    interceptors: host.interceptors,
  });
  ref = peer;
  await peer.listen();
  t.teardown(() => peer.exit());
  const warnings: Warning[] = [];
  host.on('warning', (w) => warnings.push(w));
  await host.load([
    {
      spec: 'peerchat:auto-reply',
      options: { message: `${name} is away`, intervalMs: 1000 },
      baseDir: process.cwd(),
    },
  ]);
  host.attach();
  await host.start();
  t.teardown(() => host.stop());
  const got: ChatMessage[] = [];
  peer.on('message', (m) => got.push(m));
  return { peer, host, got };
}

t.test('two auto-reply peers exchange one away message, not a ping-pong', async (t) => {
  const alice = await awayPeer(t, 'alice');
  const bob = await awayPeer(t, 'bob');
  await bob.peer.send(alice.peer.address, 'hi alice');
  // alice answers once; bob must not answer an automatic reply
  await until(() => bob.got.some((m) => /alice is away/.test(m.text)), 5000, "alice's away message");
  await bob.host.idle();
  // same session, in order: anything bob's plugin sent before this arrives before it
  const sentinel = waitFor<[ChatMessage]>(alice.peer, 'message', { filter: (m) => m.text === 'sentinel' });
  await bob.peer.send(alice.peer.address, 'sentinel');
  await sentinel;
  await alice.host.idle();
  t.same(
    alice.got.map((m) => m.text),
    ['hi alice', 'sentinel'],
    'bob never auto-replied to an automatic reply',
  );
  t.equal(bob.got.filter((m) => /alice is away/.test(m.text)).length, 1, 'alice answered once');
});
