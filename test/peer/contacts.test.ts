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
