/** Discovery over fake tables: learning an answer within the limit, answers to others, connectAll. */
import t from 'tap';
import { CONNECT_ALL_CONCURRENCY, MAX_DISCOVERED, MAX_DISCOVERED_PER_SOURCE } from '../../src/defaults.js';
import type { Session } from '../../src/net/session.js';
import { Discovery } from '../../src/peer/discovery.js';
import type { PeerInfo } from '../../src/types.js';
import { FakeSession, fakeCore } from '../helpers/core.js';

t.test('learn: valid, distinct, not ourselves, within maxPeerlistKeys; names fill in', async (t) => {
  const f = fakeCore({ port: 4000 });
  f.core.limits.maxPeerlistKeys = 3;
  const d = new Discovery(f.core, async () => {
    throw new Error('not used');
  });
  const learned = d.learn(
    [
      { address: '127.10.0.1:1', key: null, name: 'one' },
      { address: 'not an address', key: null, name: null },
      { address: '127.0.0.1:4000', key: null, name: 'me' },
      { address: '127.10.0.1:1', key: null, name: null },
      { address: '127.10.0.2:2', key: null, name: null },
      { address: '127.10.0.3:3', key: null, name: null },
      { address: '127.10.0.4:4', key: null, name: null },
    ],
    '127.10.0.9:9',
  );
  t.same(learned, ['127.10.0.1:1', '127.10.0.2:2', '127.10.0.3:3']);
  t.equal(f.core.table.get('127.10.0.1:1')?.name, 'one');
  t.equal(f.named('peer-discovered').length, 3);
  t.match(f.warned, [{ code: 'ERR_BAD_FRAME', message: /127\.10\.0\.9:9 has more than 3 keys/ }]);
});

t.test(
  'answers: the native one leaves out the asker; the classic one lists every connected address',
  async (t) => {
    const f = fakeCore();
    const d = new Discovery(f.core, async () => {
      throw new Error('not used');
    });
    for (const port of [1, 2]) {
      const [rec] = f.core.table.upsert(`127.10.0.1:${port}`, '127.10.0.1', port);
      rec.session = new FakeSession('classic') as unknown as Session;
      rec.name = `p${port}`;
    }
    f.core.table.upsert('127.10.0.1:3', '127.10.0.1', 3);
    t.same(d.entriesFor('127.10.0.1:1'), [{ address: '127.10.0.1:2', key: null, name: 'p2' }]);
    t.same(d.peerlist(), ['127.10.0.1:1', '127.10.0.1:2']);
  },
);

t.test('connectAll: every unconnected peer but ourselves; failures become warnings', async (t) => {
  const f = fakeCore({ port: 4000 });
  const tried: string[] = [];
  const d = new Discovery(f.core, async (address) => {
    tried.push(address);
    if (address === '127.10.0.2:2') throw new Error('refused');
    return { address } as PeerInfo;
  });
  f.core.table.upsert('127.10.0.1:1', '127.10.0.1', 1);
  f.core.table.upsert('127.10.0.2:2', '127.10.0.2', 2);
  f.core.table.upsert('127.0.0.1:4000', '127.0.0.1', 4000);
  const [on] = f.core.table.upsert('127.10.0.3:3', '127.10.0.3', 3);
  on.session = new FakeSession('classic') as unknown as Session;
  t.match(await d.connectAll(), [{ address: '127.10.0.1:1' }]);
  t.same(tried.sort(), ['127.10.0.1:1', '127.10.0.2:2']);
  t.match(
    f.warned,
    [{ code: 'ERR_INTERNAL', message: /connect to 127\.10\.0\.2:2 failed: refused/ }],
    'uncoded: a bug',
  );
});

t.test('connectAll dials with bounded concurrency (issue 15 #1)', async (t) => {
  const f = fakeCore({ port: 4000 });
  for (let i = 0; i < 40; i++) f.core.table.upsert(`10.0.1.${i}:1`, `10.0.1.${i}`, 1);
  let open = 0;
  let most = 0;
  const d = new Discovery(f.core, async (address) => {
    open++;
    most = Math.max(most, open);
    await new Promise((r) => setImmediate(r));
    open--;
    return { address } as PeerInfo;
  });
  const out = await d.connectAll();
  t.equal(out.length, 40, 'every peer was dialled');
  t.ok(most <= CONNECT_ALL_CONCURRENCY, `at most ${most} dials at once`);
});

t.test('learned and claimed entries are bounded per source and in all (issue 15 #1)', async (t) => {
  const f = fakeCore({ port: 4000 });
  for (let i = 1; i <= 500; i++) f.core.table.discover(`127.10.2.1:${i}`, '127.10.2.1', i, '127.10.2.1');
  t.equal(f.core.table.all().length, MAX_DISCOVERED_PER_SOURCE, 'one source keeps its newest entries only');
  t.ok(f.core.table.get('127.10.2.1:500'), 'the newest is kept');
  t.notOk(f.core.table.get('127.10.2.1:1'), 'the oldest was evicted');
  for (let s = 0; s < 40; s++)
    for (let i = 1; i <= 60; i++) f.core.table.discover(`10.3.${s}.1:${i}`, `10.3.${s}.1`, i, `src${s}`);
  t.equal(
    f.core.table.all().length,
    MAX_DISCOVERED,
    'the table holds at most MAX_DISCOVERED unconnected entries',
  );
});

t.test('a classic QUERY is answered only with classic on and no allow list', async (t) => {
  const f = fakeCore();
  const d = new Discovery(f.core, async () => {
    throw new Error('not used');
  });
  const [rec] = f.core.table.upsert('127.10.0.1:1', '127.10.0.1', 1);
  rec.session = new FakeSession('classic') as unknown as Session;
  t.same(d.classicAnswer({ classic: true, allowList: false }), ['127.10.0.1:1']);
  t.equal(d.classicAnswer({ classic: false, allowList: false }), null);
  t.equal(d.classicAnswer({ classic: true, allowList: true }), null);
  t.match(f.warned, [{ code: 'ERR_CLASSIC_REFUSED' }, { code: 'ERR_NOT_ALLOWED' }]);
});
