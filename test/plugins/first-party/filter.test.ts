import { writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { definePlugin } from '../../../src/plugins/index.js';
import { makePeerInfo } from '../helpers/fake-peer.js';
import { withPlugin } from '../helpers/first-party.js';

const ALICE = { from: '127.0.0.1:4001', name: 'alice', key: 'aa'.repeat(32), fingerprint: 'aaaa:1111' };
const BOB = { from: '127.0.0.1:4002', name: 'bob', key: null, fingerprint: null };

t.test('.block drops messages before any other plugin sees them; .unblock lets them through', async (t) => {
  const dataDir = t.testdir();
  const { host, peer } = await withPlugin(t, 'filter', { host: { dataDir } });
  const seen: string[] = [];
  await host.load([
    {
      plugin: definePlugin({
        name: 'watcher',
        order: 'pre',
        setup: () => ({
          transformIncoming: (m) => {
            seen.push(m.text);
            return m;
          },
        }),
      }),
    },
  ]);
  t.equal(await host.commands.get('block')?.action(' 127.0.0.1:4002 '), 'blocked: 127.0.0.1:4002');
  t.equal(await peer.receive({ ...BOB, text: 'from bob' }), null);
  t.ok(await peer.receive({ ...ALICE, text: 'from alice' }));
  t.same(seen, ['from alice'], 'a later "pre" plugin never saw the blocked message');
  t.equal(await host.commands.get('blocked')?.action(''), '127.0.0.1:4002');
  t.equal(await host.commands.get('unblock')?.action('127.0.0.1:4002'), 'unblocked: 127.0.0.1:4002');
  t.equal(await host.commands.get('unblock')?.action('127.0.0.1:4002'), 'not blocked: 127.0.0.1:4002');
  t.ok(await peer.receive({ ...BOB, text: 'bob again' }));
  t.equal(await host.commands.get('block')?.action(''), 'usage: .block <ip:port|name|key|fingerprint>');
  t.equal(await host.commands.get('blocked')?.action(''), 'nobody is blocked');
});

t.test('a key or fingerprint blocks whatever address the peer uses', async (t) => {
  const { host, peer } = await withPlugin(t, 'filter', { options: { blocked: ['AAAA:1111'] } });
  t.equal(await peer.receive({ ...ALICE, from: '127.9.9.9:1' }), null);
  await host.helpers.unblock?.('aaaa:1111');
  await host.helpers.block?.(ALICE.key);
  t.equal(await peer.receive({ ...ALICE, from: '127.9.9.9:2', fingerprint: null }), null);
  t.ok(await peer.receive(BOB));
});

t.test('blocking a known peer by name also blocks its key and address', async (t) => {
  const { host, peer } = await withPlugin(t, 'filter');
  peer.peers = [makePeerInfo({ address: ALICE.from, name: 'alice', key: ALICE.key })];
  t.same(await host.helpers.block?.('Alice'), ['alice', ALICE.key, ALICE.from]);
  t.equal(await peer.receive({ ...ALICE, name: 'renamed' }), null, 'a rename does not dodge it');
  t.same(host.helpers.blocked?.(), ['alice', ALICE.key, ALICE.from]);
  await t.rejects(async () => host.helpers.block?.(''), { code: 'ERR_USAGE' });
});

t.test('the block list persists in the state directory', async (t) => {
  const dataDir = t.testdir();
  const first = await withPlugin(t, 'filter', { host: { dataDir } });
  await first.host.commands.get('block')?.action('bob');
  await first.host.stop();
  const second = await withPlugin(t, 'filter', { host: { dataDir } });
  t.same(second.host.helpers.blocked?.(), ['bob']);
  t.equal(await second.peer.receive(BOB), null);
});

t.test('a corrupt state file fails the load, naming the file', async (t) => {
  const dataDir = t.testdir({ plugins: { filter: {} } });
  writeFileSync(path.join(dataDir, 'plugins', 'filter', 'blocked.json'), '{nope');
  await t.rejects(withPlugin(t, 'filter', { host: { dataDir } }), {
    code: 'ERR_PLUGIN_LOAD',
    message: /plugin "filter" .*blocked\.json is not valid JSON/,
  });
  await t.rejects(withPlugin(t, 'filter', { options: { blocked: [1] } }), { code: 'ERR_PLUGIN_LOAD' });
});
