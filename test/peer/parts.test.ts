/** The wiring of one Peer over a fake core and a real loopback port: frames reach the modules they belong to. */
import type { Test } from 'tap';
import t from 'tap';
import { buildParts } from '../../src/peer/parts.js';
import type { Identity } from '../../src/types.js';
import { fakeCore } from '../helpers/core.js';
import { RawClassicPeer } from '../helpers/raw-classic.js';
import { until } from '../helpers/wait.js';

async function wired(t: Test, allow: string[] | null = null) {
  const f = fakeCore({ port: 0 });
  const parts = buildParts(
    f.core,
    { name: 'me', host: '127.0.0.1', allow },
    {
      host: '127.0.0.1',
      classic: true,
      identity: null as Identity | null,
      interceptors: {},
      id: () => null,
      connect: (address) => parts.connector.connect(address),
    },
  );
  const port = await parts.listener.listen();
  t.teardown(() => parts.listener.close());
  const raw = new RawClassicPeer('raw');
  await raw.listen();
  t.teardown(() => raw.close());
  return { f, parts, port, raw };
}

t.test(
  'a classic one-shot MESSAGE goes listener -> inbox -> a message event, its sender discovered',
  async (t) => {
    const { f, port, raw } = await wired(t);
    await raw.open(port, `MESSAGE:raw:${raw.port}:hello: parts`);
    await until(() => f.named('message').length === 1);
    t.match(f.named('message')[0], [
      { from: `127.0.0.1:${raw.port}`, name: 'raw', text: 'hello: parts', protocol: 'classic' },
    ]);
    t.match(f.named('peer-discovered'), [[{ address: `127.0.0.1:${raw.port}` }]]);
  },
);

t.test('a classic QUERY is answered by discovery; refused with an allow list', async (t) => {
  const open = await wired(t);
  const s = await open.raw.open(open.port, 'QUERY');
  t.equal(await RawClassicPeer.read(s), 'PEERLIST:\n');
  const closed = await wired(t, ['a'.repeat(64)]);
  await closed.raw.open(closed.port, 'QUERY');
  await until(() => closed.f.warned.some((w) => w.code === 'ERR_NOT_ALLOWED'));
  t.pass('refused with ERR_NOT_ALLOWED');
});
