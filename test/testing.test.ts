/** peerchat/testing: real in-process peers on 127.0.0.1, plugins loaded, events awaited, cleanup. */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { definePlugin } from '../src/index.js';
import { startPeer, stopAll } from '../src/testing.js';

const shout = definePlugin({
  name: 'shout',
  setup: (api) => {
    api.addCommand('shouted', { help: 'count', action: () => `shouted ${count}` });
    let count = 0;
    return {
      transformOutgoing: (msg) => {
        count++;
        return { ...msg, text: msg.text.toUpperCase() };
      },
    };
  },
});

t.test('two peers with a plugin: connect, send, await the message, run a command, stop', async (t) => {
  const alice = await startPeer({ name: 'alice', plugins: [{ plugin: shout }] });
  const bob = await startPeer({ name: 'bob' });
  t.teardown(() => stopAll(alice, bob));
  t.match(alice.address, /^127\.0\.0\.1:\d+$/);
  t.not(alice.peer.port, 0, 'an ephemeral port');

  await alice.connect(bob);
  await bob.waitFor('peer-connected', (p) => p.address === alice.address);
  const result = await alice.send(bob, 'hello');
  t.equal(result.state, 'acked');
  const msg = await bob.waitFor('message', (m) => m.from === alice.address);
  t.equal(msg.text, 'HELLO');
  t.equal(msg.protocol, 'native');
  t.equal(await alice.command('shouted'), 'shouted 1');
  t.same(bob.events('message').length, 1);
  t.same([...alice.warnings, ...bob.warnings], []);
});

t.test('waitFor rejects at its deadline, saying what was seen', async (t) => {
  const alice = await startPeer({ timeoutMs: 100 });
  t.teardown(() => alice.stop());
  await t.rejects(alice.waitFor('message'), { message: /no matching "message" within 100 ms; none seen/ });
  await t.rejects(alice.command('nope'), { code: 'ERR_USAGE' });
});

t.test('store on: history is kept in the temp data dir, which stop removes', async (t) => {
  const alice = await startPeer({ name: 'alice', store: true });
  const bob = await startPeer({ name: 'bob' });
  t.teardown(() => stopAll(alice, bob));
  await alice.send(bob, 'kept');
  t.same(
    alice.peer.history().map((m) => m.text),
    ['kept'],
  );
  const { dataDir } = alice;
  t.ok(existsSync(dataDir));
  await alice.stop();
  await alice.stop(); // once
  t.notOk(existsSync(dataDir), 'the temporary data dir is gone');
});

t.test("a plugin's api.history takes the store's query: since and limit run in SQL", async (t) => {
  let history: ((target?: string, q?: object) => unknown) | undefined;
  const grab = definePlugin({
    name: 'grab',
    setup: (api) => {
      history = api.history;
    },
  });
  const alice = await startPeer({ name: 'alice', store: true, plugins: [{ plugin: grab }] });
  const bob = await startPeer({ name: 'bob' });
  t.teardown(() => stopAll(alice, bob));
  await alice.send(bob, 'old');
  const cut = Date.now() + 1;
  while (Date.now() <= cut) await new Promise((r) => setImmediate(r));
  await alice.send(bob, 'new1');
  await alice.send(bob, 'new2');
  t.ok(history, 'api.history is given with a store');
  const texts = async (q: object) =>
    ((await history!(undefined, q)) as { text: string }[]).map((m) => m.text);
  t.same(await texts({ since: cut }), ['new1', 'new2']);
  t.same(await texts({ since: cut, limit: 1 }), ['new2']);
  t.same(await texts({ limit: 2, search: 'NEW' }), ['new1', 'new2'], 'search too');
});

t.test('plugins by spec, with options checked by their schema; a bad one fails startPeer', async (t) => {
  const cwd = fileURLToPath(new URL('..', import.meta.url));
  const alice = await startPeer({ plugins: [['peerchat:bot', { prefix: '?' }]], baseDir: cwd });
  t.teardown(() => alice.stop());
  t.type(alice.helpers.botCommand, 'function');
  await t.rejects(startPeer({ plugins: [['peerchat:filter', { blocekd: [] }]] }), {
    code: 'ERR_PLUGIN_LOAD',
    message: /option "blocekd": unknown key/,
  });
  await t.rejects(startPeer({ config: { port: -1 } }), {
    code: 'ERR_CONFIG_INVALID',
    message: /startPeer config: port: expected a whole number from 0 to 65535/,
  });
});
