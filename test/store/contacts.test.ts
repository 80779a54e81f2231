/** The contact book in the store: the 'seen' write keeps it, a version 2 file's peers become contacts. */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { matchContacts } from '../../src/store/contacts.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { Store } from '../../src/store/store.js';
import { KEY_A, KEY_B } from './helpers.js';

t.test('seenPeer keeps one contact per key: last addresses first, first/last seen, how met', async (t) => {
  const store = Store.open({ dataDir: t.testdir() });
  t.teardown(() => store.close());
  await store.seenPeer({ address: '127.0.0.1:1', key: KEY_A, name: 'carol', via: 'room:lobby', at: 10 });
  await store.seenPeer({ address: '127.0.0.1:2', key: KEY_A, name: 'carol', via: 'tcp', at: 20 });
  await store.seenPeer({ address: '127.0.0.1:3', key: KEY_A, name: 'caroline', via: 'tcp', at: 30 });
  await store.seenPeer({ address: '127.0.0.1:2', key: KEY_A, name: null, via: 'tcp', at: 40 });
  await store.seenPeer({ address: '127.0.0.1:9', key: null, name: 'old', at: 5 });
  const book = store.contacts();
  t.match(book, [
    {
      key: KEY_A,
      name: 'caroline',
      addresses: ['127.0.0.1:2', '127.0.0.1:3'], // a room connection's address is not kept
      firstSeen: 10,
      lastSeen: 40,
      met: 'room:lobby',
    },
    { key: null, fingerprint: null, name: 'old', addresses: ['127.0.0.1:9'], met: 'tcp' },
  ]);
  t.equal(matchContacts(book, 'caroline').length, 1, 'by name');
  t.equal(matchContacts(book, book[0]!.fingerprint!.slice(0, 4)).length, 1, 'by fingerprint prefix');
  t.equal(matchContacts(book, KEY_A.slice(0, 8)).length, 1, 'by key prefix');
  t.equal(matchContacts(book, '127.0.0.1:9')[0]?.name, 'old', 'by an address');
  t.same(matchContacts(book, 'nobody'), []);
  // one contact by its key, as the book has it; a keyless contact's id is not a key
  t.same(store.contact(KEY_A), book[0]);
  t.equal(store.contact(KEY_B), null);
  t.equal(store.contact('addr:127.0.0.1:9'), null);
});

t.test('a version 2 file: its peers become contacts', async (t) => {
  const dir = t.testdir();
  const db = new Database(join(dir, 'peerchat.db'));
  db.exec(MIGRATIONS[0]!.sql);
  db.exec(MIGRATIONS[1]!.sql);
  db.pragma('application_id = 1885562996');
  db.pragma('user_version = 2');
  const insert = db.prepare(
    'INSERT INTO peers (address, key, name, first_seen, last_seen) VALUES (?, ?, ?, ?, ?)',
  );
  insert.run('127.0.0.1:1', KEY_B, 'bob', 1, 5);
  insert.run('127.0.0.1:2', KEY_B, 'bobby', 3, 9);
  insert.run('127.0.0.1:7', 'unverified', 'classic', 2, 2);
  db.close();
  const store = Store.open({ dataDir: dir });
  t.teardown(() => store.close());
  t.match(store.contacts(), [
    {
      key: KEY_B,
      name: 'bobby',
      addresses: ['127.0.0.1:2', '127.0.0.1:1'],
      firstSeen: 1,
      lastSeen: 9,
      met: 'tcp',
    },
    { key: null, name: 'classic', addresses: ['127.0.0.1:7'] },
  ]);
});
