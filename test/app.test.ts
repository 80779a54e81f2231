/** The composition root: what createApp builds from a config, and how the parts are wired. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { createApp } from '../src/app.js';
import { type Config, defaults } from '../src/config/schema.js';
import type { Warning } from '../src/errors.js';
import { WARNINGS_PER_WINDOW } from '../src/peer/warnings.js';
import type { ChatMessage } from '../src/types.js';
import { nativePeer } from './helpers/peers.js';
import { waitFor } from './helpers/wait.js';

function config(dir: string, extra: Partial<Config> = {}): Config {
  return { ...defaults, name: 'app', host: '127.0.0.1', port: 0, dataDir: path.join(dir, 'data'), ...extra };
}

const SHOUT = `export default { name: 'shout', setup: () => ({
  transformOutgoing: (m) => ({ ...m, text: m.text.toUpperCase() }),
}) };
`;

t.test('plugins: the peer gets the host interceptors at construction; sends pass through them', async (t) => {
  const dir = t.testdir();
  writeFileSync(path.join(dir, 'shout.mjs'), SHOUT);
  const app = await createApp(config(dir, { plugins: ['./shout.mjs'] }), { baseDir: dir });
  t.teardown(() => app.stop());
  t.ok(app.host, 'a host when plugins are configured');
  t.equal(app.peer.interceptors, app.host?.interceptors);
  t.ok(app.peer.store, 'a store by default');
  await app.peer.listen();
  await app.begin();
  const bob = await nativePeer(t, 'bob');
  await app.peer.connect(bob.address);
  const got = waitFor<[ChatMessage]>(bob, 'message');
  t.equal((await app.peer.send('bob', 'quiet')).state, 'acked');
  t.equal((await got)[0].text, 'QUIET');
  await app.stop();
  t.ok(app.peer.closed, 'stop exits the peer');
  await app.stop(); // a second stop shares the first
});

t.test('one sink: warnings from anywhere are rate-limited before the peer emits them', async (t) => {
  const dir = t.testdir();
  const app = await createApp(config(dir));
  t.teardown(() => app.stop());
  t.equal(app.host, null, 'no plugins, no host');
  const seen: Warning[] = [];
  app.peer.on('warning', (w) => seen.push(w));
  for (let i = 0; i < WARNINGS_PER_WINDOW + 5; i++) app.warnings.warn('ERR_BAD_FRAME', `bad ${i}`);
  t.equal(seen.length, WARNINGS_PER_WINDOW);
});

t.test(
  'a one-shot app loads no plugins, takes an ephemeral port, and keeps history only when the lock is free',
  async (t) => {
    const dir = t.testdir();
    writeFileSync(path.join(dir, 'shout.mjs'), SHOUT);
    const app = await createApp(config(dir, { plugins: ['./shout.mjs'], port: 65000 }), {
      oneShot: true,
      baseDir: dir,
    });
    t.teardown(() => app.stop());
    t.equal(app.host, null);
    t.not(app.peer.store, null, 'the data directory was free: the one-shot writes its history');
    t.equal(app.notStored, null);
    t.equal(app.peer.port, 0);
    // a second one-shot beside it (as beside a running peer): no store, and the reason
    const beside = await createApp(config(dir, {}), { oneShot: true });
    t.teardown(() => beside.stop());
    t.equal(beside.peer.store, null);
    t.match(beside.notStored, /^not stored in the history: a running peer holds the data directory /);
  },
);

t.test('auto-connect failures and room failures reach the sink as coded warnings', async (t) => {
  const dir = t.testdir();
  const app = await createApp(
    config(dir, {
      autoConnect: ['127.0.0.1:1'],
      rooms: ['lobby'],
      dht: { bootstrap: [] },
    } as Partial<Config>),
  );
  t.teardown(() => app.stop());
  await app.peer.listen();
  const retry = waitFor<[Warning]>(app.peer, 'warning', {
    filter: (w: Warning) => w.message.startsWith('autoConnect 127.0.0.1:1: attempt 1 failed'),
  });
  const room = waitFor<[Warning]>(app.peer, 'warning', {
    filter: (w: Warning) => w.message.startsWith('room lobby'),
  });
  await app.begin();
  const [w] = await retry;
  t.match(w, { code: /^ERR_/, message: /retrying in \d+\.\d s/ });
  const [r] = await room;
  t.match(r, { code: /^ERR_ROOM/ });
});

t.test('the peer interceptors cannot be replaced after construction', async (t) => {
  const { Peer } = await import('../src/peer/peer.js');
  const incoming = async (m: ChatMessageLike) => m;
  const peer = new Peer({
    name: 'p',
    host: '127.0.0.1',
    port: 0,
    identity: null,
    dataDir: null,
    interceptors: { incoming },
  });
  t.equal(peer.interceptors.incoming, incoming);
  t.throws(() => {
    (peer as unknown as { interceptors: object }).interceptors = {};
  }, TypeError);
  t.equal(peer.interceptors.incoming, incoming, 'still the one given');
});

type ChatMessageLike = import('../src/types.js').ChatMessage;

t.test('a data directory that is a file: ERR_DATA_DIR with the cause, nothing opened', async (t) => {
  const dir = t.testdir({ file: 'not a directory' });
  for (const dataDir of [path.join(dir, 'file'), path.join(dir, 'file', 'sub')]) {
    await t.rejects(createApp(config(dir, { dataDir })), {
      code: 'ERR_DATA_DIR',
      message: `cannot use ${dataDir} as the data directory: it (or a parent) is a file`,
      cause: { code: /^(EEXIST|ENOTDIR)$/ },
    });
  }
});
