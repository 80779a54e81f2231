import t from 'tap';
import { isPeerchatError } from '../../src/errors.js';
import { resolveBootstrap } from '../../src/rooms/bootstrap.js';

t.test('missing, empty, null and false are refused with a message saying how to choose', async (t) => {
  for (const value of [undefined, null, false, [], '']) {
    try {
      resolveBootstrap(value);
      t.fail(`accepted ${JSON.stringify(value)}`);
    } catch (err) {
      t.ok(isPeerchatError(err, 'ERR_ROOM_BOOTSTRAP'), `${JSON.stringify(value)}: ERR_ROOM_BOOTSTRAP`);
      t.match((err as Error).message, /dht\.bootstrap/);
      t.match((err as Error).message, /"public"/);
      t.match((err as Error).message, /host:port/);
    }
  }
});

t.test('only the exact string "public" selects the public network', async (t) => {
  t.equal(resolveBootstrap('public'), 'public');
  for (const value of ['Public', 'PUBLIC', ' public', ['public'], true, 0, {}]) {
    t.throws(
      () => resolveBootstrap(value),
      { name: 'PeerchatError', code: 'ERR_ROOM_BOOTSTRAP' },
      JSON.stringify(value),
    );
  }
});

t.test('explicit lists are parsed into host/port objects', async (t) => {
  t.same(resolveBootstrap(['127.0.0.1:49737', 'dht.example.org:1']), [
    { host: '127.0.0.1', port: 49737 },
    { host: 'dht.example.org', port: 1 },
  ]);
  t.same(resolveBootstrap([{ host: '127.0.0.1', port: 5000 }]), [{ host: '127.0.0.1', port: 5000 }]);
  t.same(resolveBootstrap('127.0.0.1:6000'), [{ host: '127.0.0.1', port: 6000 }], 'a single string');
  t.same(resolveBootstrap(['127.0.0.1:1', '127.0.0.1:1']), [{ host: '127.0.0.1', port: 1 }], 'deduplicated');
});

t.test('malformed entries are refused', async (t) => {
  const bad = [
    ['127.0.0.1'],
    ['127.0.0.1:0'],
    ['127.0.0.1:65536'],
    ['127.0.0.1:80x'],
    [':80'],
    ['[::1]:80'],
    ['bad host:80'],
    [42],
    [null],
    [{ host: '127.0.0.1' }],
    [{ host: 7, port: 80 }],
    Array.from({ length: 65 }, (_, i) => `127.0.0.1:${i + 1}`),
  ];
  for (const value of bad) {
    t.throws(
      () => resolveBootstrap(value),
      { name: 'PeerchatError', code: 'ERR_ROOM_BOOTSTRAP' },
      JSON.stringify(value).slice(0, 60),
    );
  }
});
