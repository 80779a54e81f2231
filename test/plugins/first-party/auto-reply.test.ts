import t from 'tap';
import { withPlugin } from '../helpers/first-party.js';

const ALICE = { from: '127.0.0.1:4001', key: 'aa'.repeat(32) };
const BOB = { from: '127.0.0.1:4002', key: null, name: 'bob', protocol: 'classic' as const };

t.test('replies at most once per peer per interval', async (t) => {
  let clock = 1_000_000;
  const { host, peer } = await withPlugin(t, 'auto-reply', {
    options: { message: 'gone fishing', intervalMs: 60_000, now: () => clock },
  });
  await peer.receive({ ...ALICE, text: '1' });
  await host.idle();
  await peer.receive({ ...ALICE, text: '2' });
  await host.idle();
  await peer.receive({ ...BOB, text: '3' });
  await host.idle();
  t.same(peer.sent, [
    { target: ALICE.from, text: '[auto-reply] gone fishing', opts: { wait: false } },
    { target: BOB.from, text: '[auto-reply] gone fishing', opts: { wait: false } },
  ]);
  clock += 59_999;
  await peer.receive({ ...ALICE, text: '4' });
  await host.idle();
  t.equal(peer.sent.length, 2, 'still within the interval');
  clock += 1;
  await peer.receive({ ...ALICE, text: '5' });
  await host.idle();
  t.equal(peer.sent.length, 3, 'the interval passed');
});

t.test('.back turns it off, .away [message] on again', async (t) => {
  const { host, peer } = await withPlugin(t, 'auto-reply');
  t.equal(await host.commands.get('back')?.action(''), 'back: the away message is off');
  await peer.receive(ALICE);
  await host.idle();
  t.equal(peer.sent.length, 0);
  t.equal(await host.commands.get('away')?.action(' lunch '), 'away: "lunch"');
  await peer.receive(ALICE);
  await host.idle();
  t.same(
    peer.sent.map((s) => s.text),
    ['[auto-reply] lunch'],
  );
});

t.test('the default message; outgoing messages never trigger it', async (t) => {
  const { host, peer } = await withPlugin(t, 'auto-reply');
  await peer.send('127.0.0.1:4001', 'my own message');
  await peer.receive(ALICE);
  await host.idle();
  t.match(peer.sent[1], { target: ALICE.from, text: /away/ });
  t.equal(peer.sent.length, 2);
});

t.test('bad options fail the load', async (t) => {
  await t.rejects(withPlugin(t, 'auto-reply', { options: { message: '' } }), { code: 'ERR_PLUGIN_LOAD' });
  await t.rejects(withPlugin(t, 'auto-reply', { options: { intervalMs: 'soon' } }), {
    code: 'ERR_PLUGIN_LOAD',
  });
});
