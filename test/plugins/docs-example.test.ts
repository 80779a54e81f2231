/** docs/plugins.md's complete example is code that runs: this loads that very block. */

import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { makePeerInfo } from './helpers/fake-peer.js';
import { makeHost } from './helpers/host.js';

const DOC = fileURLToPath(new URL('../../docs/plugins.md', import.meta.url));
const MARKER = '<!-- example: welcome.js -->';

function exampleSource(): string {
  const doc = readFileSync(DOC, 'utf8');
  const at = doc.indexOf(MARKER);
  if (at < 0) throw new Error(`${MARKER} is missing from docs/plugins.md`);
  const block = /```js\n([\s\S]*?)```/.exec(doc.slice(at));
  if (!block?.[1]) throw new Error('no js block after the example marker');
  return block[1];
}

t.test('the complete example in docs/plugins.md loads and does what the docs say', async (t) => {
  // inside the package, so `import 'peerchat'` resolves to dist/ like it does for users
  const dir = t.testdir({ data: {} });
  writeFileSync(path.join(dir, 'welcome.js'), exampleSource());
  const dataDir = path.join(dir, 'data');

  const { host, peer, warnings } = makeHost(t, { dataDir });
  await host.load([{ spec: './welcome.js', baseDir: dir, options: { greeting: 'hello {name}' } }]);
  await host.start();

  peer.emit('peer-connected', makePeerInfo({ address: '127.0.0.1:4001', name: 'bob' }));
  await host.idle();
  t.same(peer.sent, [{ target: '127.0.0.1:4001', text: 'hello bob', opts: { wait: false } }]);

  await peer.send('127.0.0.1:4001', 'hi :wave:');
  t.equal(peer.sent[1]?.text, 'hi 👋');

  await peer.receive({ name: 'bob' });
  await peer.receive({ name: 'bob' });
  await peer.receive({ name: null, from: '127.0.1.9:1' });
  await host.idle();
  t.equal(await host.commands.get('seen')?.action(''), 'bob: 2\n127.0.1.9:1: 1');
  t.equal(host.helpers.seenCount?.('bob'), 2);
  await host.stop();
  t.same(warnings, []);

  // the counts survive a restart
  const again = makeHost(t, { dataDir });
  await again.host.load([{ spec: './welcome.js', baseDir: dir }]);
  t.equal(again.host.helpers.seenCount?.('bob'), 2);
  again.peer.emit('peer-connected', makePeerInfo({ name: null }));
  await again.host.idle();
  t.equal(again.peer.sent[0]?.text, 'welcome, stranger!');
});
