import t from 'tap';
import { withPlugin } from '../helpers/first-party.js';

function sink() {
  const chunks: string[] = [];
  return { chunks, output: { write: (s: string) => chunks.push(s) } };
}

t.test('bell when your name is mentioned, as a whole word, any case', async (t) => {
  const { chunks, output } = sink();
  const { host, peer } = await withPlugin(t, 'notify', { options: { output }, peerName: 'zed' });
  for (const text of ['hi ZED!', 'zedd is not you', 'nothing here', 'hey @zed']) {
    await peer.receive({ text });
    await host.idle();
  }
  t.same(chunks, ['\x07', '\x07']);
});

t.test('keywords and highlights, without colour unless asked', async (t) => {
  const { chunks, output } = sink();
  const { host, peer } = await withPlugin(t, 'notify', {
    options: { output, mode: 'highlight', keywords: ['deploy', 'c++'], mention: false },
    peerName: 'zed',
  });
  for (const text of ['zed?', 'we deploy at 5', 'deployment later', 'I like C++ a lot']) {
    await peer.receive({ text, name: 'alice' });
    await host.idle();
  }
  t.same(chunks, [
    '* alice mentioned "deploy": we deploy at 5\n',
    '* alice mentioned "C++": I like C++ a lot\n',
  ]);
});

t.test('mode both, with colour; outgoing messages never notify', async (t) => {
  const { chunks, output } = sink();
  const { host, peer } = await withPlugin(t, 'notify', {
    options: { output, mode: 'both', color: true },
    peerName: 'zed',
  });
  await peer.send('127.0.0.1:4001', 'I am zed');
  await peer.receive({ text: 'zed', name: null, from: '127.0.1.1:1' });
  await host.idle();
  t.same(chunks, ['\x07\x1b[1;33m* 127.0.1.1:1 mentioned "zed": zed\x1b[0m\n']);
});

t.test('bad options fail the load', async (t) => {
  await t.rejects(withPlugin(t, 'notify', { options: { mode: 'loud' } }), { code: 'ERR_PLUGIN_LOAD' });
  await t.rejects(withPlugin(t, 'notify', { options: { keywords: 'x' } }), { code: 'ERR_PLUGIN_LOAD' });
});
