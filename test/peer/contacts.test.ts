/** The contact book and history seen from the Peer, over fake tables and a real store. */
import t from 'tap';
import type { Session } from '../../src/net/session.js';
import { Contacts } from '../../src/peer/contacts.js';
import { Store } from '../../src/store/store.js';
import { FakeSession, fakeCore } from '../helpers/core.js';
import { tempDir } from '../helpers/peers.js';

const KEY = 'b'.repeat(64);

t.test('without a store: no contacts and no history', async (t) => {
  const c = new Contacts(fakeCore().core);
  t.same(c.list(), []);
  t.same(c.history('bob'), []);
});

t.test(
  'contacts carry whether a session is open now; a target narrows them; history finds a contact by key',
  async (t) => {
    const store = Store.open({ dataDir: tempDir(t) });
    t.teardown(() => store.close());
    const f = fakeCore({ store });
    f.core.table.contacts = () => store.contacts();
    await store.seenPeer({ address: '127.10.0.2:5000', key: KEY, name: 'bob', via: 'tcp' });
    await store.seenPeer({ address: '127.10.0.3:5000', key: null, name: 'carol', via: 'tcp' });
    await store.recordIncoming({
      id: 'm1',
      from: '127.10.0.9:1',
      name: 'bob',
      text: 'from another address',
      protocol: 'native',
      verified: true,
      key: KEY,
      fingerprint: 'fp',
      ts: 1,
      direction: 'in',
    });
    const c = new Contacts(f.core);
    t.same(
      c.list().map((x) => [x.name, x.connected]),
      [
        ['carol', false],
        ['bob', false],
      ],
    );
    const [rec] = f.core.table.upsert('127.10.0.3:5000', '127.10.0.3', 5000);
    rec.session = new FakeSession('classic') as unknown as Session;
    t.same(
      c.list('carol').map((x) => [x.name, x.connected]),
      [['carol', true]],
    );
    t.same(
      c.history('bob').map((m) => m.text),
      ['from another address'],
      "bob's rows by key, whatever address they came from",
    );
    t.same(c.history('127.10.0.7:7'), [], 'an address nobody used');
  },
);

t.test('a store that cannot read the contacts gives a warning and an empty book', async (t) => {
  const store = {
    contacts: () => {
      throw new Error('disk gone');
    },
  } as unknown as Store;
  const f = fakeCore({ store });
  t.same(new Contacts(f.core).list(), []);
  t.match(f.warned, [{ message: /could not read the contacts/ }]);
});

t.test("a contact's last seen is when its session ended, or when this peer stopped", async (t) => {
  const { Peer } = await import('../../src/peer/peer.js');
  const { loadIdentity } = await import('../../src/net/native/identity.js');
  const { until } = await import('../helpers/wait.js');
  const stored = async (name: string) => {
    const dataDir = tempDir(t);
    const store = Store.open({ dataDir });
    const p = new Peer({ name, host: '127.0.0.1', identity: await loadIdentity(dataDir), dataDir, store });
    await p.listen();
    t.teardown(() => p.exit());
    return { p, store };
  };
  const a = await stored('alice');
  const b = await stored('bob');
  await a.p.connect(b.p.address);
  const lastSeen = () => a.p.contacts().find((c) => c.name === 'bob')?.lastSeen ?? 0;
  await until(() => lastSeen() > 0);
  const atConnect = lastSeen();
  await until(() => Date.now() > atConnect + 5); // the clock moved on: the next "seen" is later
  await b.p.exit();
  await until(() => lastSeen() > atConnect, 5000, 'last seen moved to the disconnect');
  t.ok(lastSeen() > atConnect);
  t.equal(a.p.contacts().find((c) => c.name === 'bob')?.name, 'bob', 'the name is kept');
});

t.test('a key or an address is looked up by index, not by reading the whole book', async (t) => {
  const store = Store.open({ dataDir: tempDir(t) });
  t.teardown(() => store.close());
  await store.seenPeer({ address: '127.10.0.2:5000', key: KEY, name: 'bob', via: 'tcp' });
  await store.seenPeer({ address: '127.10.0.3:5000', key: null, name: 'carol', via: 'tcp' });
  await store.seenPeer({ address: '127.10.0.3:50001', key: null, name: 'dave', via: 'tcp' });
  // a stranger that calls itself by bob's key
  await store.seenPeer({ address: '127.10.0.9:1', key: 'c'.repeat(64), name: KEY, via: 'tcp' });
  const f = fakeCore({ store });
  const c = new Contacts(f.core);
  let wholeBook = 0;
  const contacts = store.contacts.bind(store);
  store.contacts = () => {
    wholeBook++;
    return contacts();
  };
  t.same(
    c.list(KEY).map((x) => x.name),
    ['bob'],
    'a key names its contact, never a namesake',
  );
  t.same(
    c.list('127.10.0.3:5000').map((x) => x.name),
    ['carol'],
    'an address, not one that starts alike',
  );
  t.same(c.list('127.10.0.2:5000')[0]?.key, KEY);
  t.same(c.list('d'.repeat(64)), []);
  t.equal(wholeBook, 0);
  t.equal(c.list('bob').length, 1, 'a name still works');
});
