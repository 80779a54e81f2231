import { createRequire } from 'node:module';
import t from 'tap';

const require = createRequire(import.meta.url);
const dhtModules = (): string[] =>
  Object.keys(require.cache).filter((p) =>
    /node_modules[/\\](hyperswarm|hyperdht|dht-rpc|udx-native)[/\\]/.test(p),
  );

t.test('importing the rooms module loads no DHT code', async (t) => {
  const { Rooms } = await import('../../src/rooms/swarm.js');
  await import('../../src/rooms/topic.js');
  await import('../../src/rooms/bootstrap.js');
  t.same(dhtModules(), [], 'hyperswarm/hyperdht not loaded by the import');

  const rooms = new Rooms({
    keyPair: { publicKey: Buffer.alloc(32), secretKey: Buffer.alloc(64) },
    bootstrap: undefined,
    onConnection: () => {},
  });
  t.same(rooms.rooms(), []);
  t.equal(rooms.active, false);
  t.same(dhtModules(), [], 'not loaded by constructing Rooms either');

  // a join without a bootstrap is refused before anything is loaded or sent
  for (const bootstrap of [undefined, null, false, []]) {
    const r = new Rooms({
      keyPair: { publicKey: Buffer.alloc(32), secretKey: Buffer.alloc(64) },
      bootstrap,
      onConnection: () => {},
    });
    await t.rejects(r.join('lobby'), { name: 'PeerchatError', code: 'ERR_ROOM_BOOTSTRAP' });
    t.same(r.rooms(), [], 'no room recorded after the refusal');
  }
  t.same(dhtModules(), [], 'not loaded by a refused join');
  await rooms.destroy();
});

t.test('the module cache check would see hyperswarm if it were loaded', async (t) => {
  // guards the test above against a cache that never lists ESM-imported CommonJS modules
  await import('hyperswarm');
  t.ok(dhtModules().some((p) => p.includes('hyperswarm')));
});
