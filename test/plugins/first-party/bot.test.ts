import t from 'tap';
import { definePlugin, type PluginHelper } from '../../../src/plugins/index.js';
import { until } from '../helpers/fake-peer.js';
import { withPlugin } from '../helpers/first-party.js';

const FROM = '127.0.0.1:4001';

t.test('!ping, !time and !help answer the sender', async (t) => {
  const now = new Date(Date.UTC(2025, 5, 1, 12, 0, 0));
  const { host, peer } = await withPlugin(t, 'bot', { options: { now: () => now } });
  for (const text of ['!ping', '!TIME', '!help', 'plain text', '!unknown', 'x !ping']) {
    await peer.receive({ from: FROM, text });
    await host.idle();
  }
  t.same(
    peer.sent.map((s) => [s.target, s.text]),
    [
      [FROM, 'pong'],
      [FROM, '2025-06-01T12:00:00.000Z'],
      [FROM, '!help: this list\n!ping: answers pong\n!time: the local time (ISO 8601)'],
    ],
  );
});

t.test('answers arrive through the peer events too', async (t) => {
  const { peer } = await withPlugin(t, 'bot');
  await peer.receive({ from: FROM, text: '  !ping  ' });
  await peer.receive({ from: FROM, text: '!ping' });
  await until(() => peer.sent.length === 1, 2000, 'the pong');
  t.equal(peer.sent[0]?.text, 'pong');
});

t.test('other plugins add !commands through the botCommand helper', async (t) => {
  const { host, peer, logs } = await withPlugin(t, 'bot', { options: { prefix: '?' } });
  let clash: unknown;
  await host.load([
    {
      plugin: definePlugin({
        name: 'dice',
        setup: (api) => ({
          onStart() {
            const botCommand = api.helpers.botCommand as PluginHelper;
            botCommand(
              'roll',
              (args: string, msg: { name: string | null }) => `${msg.name} rolled ${args || 4}`,
              'roll a die',
            );
            botCommand('quiet', () => undefined);
            botCommand('broken', () => {
              throw new Error('kaput');
            });
            try {
              botCommand('PING', () => 'mine');
            } catch (err) {
              clash = err;
            }
          },
        }),
      }),
    },
  ]);
  await host.observe('onStart');
  t.match(clash, {
    code: 'ERR_PLUGIN_COMMAND_CLASH',
    message: /"\?ping" of a plugin clashes with the one of bot/,
  });
  for (const text of ['?roll 6', '?quiet', '?broken', '?help', '!ping']) {
    await peer.receive({ from: FROM, name: 'alice', text });
    await host.idle();
  }
  t.same(
    peer.sent.map((s) => s.text),
    [
      'alice rolled 6',
      '?broken\n?help: this list\n?ping: answers pong\n?quiet\n?roll: roll a die\n?time: the local time (ISO 8601)',
    ],
  );
  t.match(logs, [{ level: 'warn', message: '[bot] ?broken failed: kaput' }]);
});

t.test('a bad prefix fails the load', async (t) => {
  await t.rejects(withPlugin(t, 'bot', { options: { prefix: '' } }), { code: 'ERR_PLUGIN_LOAD' });
});

t.test('a room message is answered in its room; one read by catch-up is not answered', async (t) => {
  const { host, peer } = await withPlugin(t, 'bot');
  await peer.receive({ from: 'room:team', text: '!ping', room: 'team', late: false });
  await peer.receive({ from: 'room:team', text: '!ping', room: 'team', late: true });
  await host.idle();
  t.same(peer.said, [{ room: 'team', text: 'pong' }], 'said in the room it was asked in');
  t.same(peer.sent, [], 'nothing sent one to one');
});
