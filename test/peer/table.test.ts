/** The peer tables and the real target resolver (src/peer/table.ts), unit and through a Peer. */
import { EventEmitter } from 'node:events';
import t from 'tap';
import type { Session } from '../../src/net/session.js';
import { Peer } from '../../src/peer/peer.js';
import { PeerTable, toInfo } from '../../src/peer/table.js';
import type { Contact } from '../../src/store/contacts.js';
import { Store } from '../../src/store/store.js';
import { nativePeer, tempDir } from '../helpers/peers.js';
import { RawClassicPeer } from '../helpers/raw-classic.js';
import { until } from '../helpers/wait.js';

const live = () => new EventEmitter() as unknown as Session;

function table() {
  const tb = new PeerTable();
  const add = (address: string, fields: { name?: string; key?: string; connected?: boolean } = {}) => {
    const [host, port] = address.split(':');
    const [rec] = tb.upsert(address, host!, Number(port));
    rec.name = fields.name ?? null;
    rec.key = fields.key ?? null;
    rec.fingerprint = fields.key ? `fp-${fields.key.slice(0, 4)}` : null;
    rec.session = fields.connected ? live() : null;
    return rec;
  };
  return { tb, add };
}

t.test('upsert creates once; blank records stay out of the table', async (t) => {
  const { tb } = table();
  const [a, isNew] = tb.upsert('127.10.0.1:1', '127.10.0.1', 1);
  t.equal(isNew, true);
  const [again, isNewAgain] = tb.upsert('127.10.0.1:1', '127.10.0.1', 1);
  t.equal(again, a);
  t.equal(isNewAgain, false);
  const blank = PeerTable.blank('127.10.0.2:2', '127.10.0.2', 2);
  t.match(toInfo(blank), { address: '127.10.0.2:2', connected: false, via: 'tcp', protocol: null });
  t.equal(tb.get('127.10.0.2:2'), undefined);
  tb.delete('127.10.0.1:1');
  t.same(tb.all(), []);
});

t.test('resolve: exact address first, then name, fingerprint or key', async (t) => {
  const { tb, add } = table();
  const alice = add('127.10.0.1:1', { name: 'alice', key: 'aaaa'.repeat(16) });
  add('127.10.0.2:2', { name: '127.10.0.1:1' });
  t.equal(tb.resolve('127.10.0.1:1'), alice, 'an address beats a name that looks like it');
  t.equal(tb.resolve('alice'), alice);
  t.equal(tb.resolve('fp-aaaa'), alice);
  t.equal(tb.resolve('aaaa'.repeat(16)), alice);
  t.equal(tb.resolve('nobody'), undefined);
});

t.test('resolve: a connected peer wins over namesakes that are not; ties are ambiguous', async (t) => {
  const { tb, add } = table();
  add('127.10.0.1:1', { name: 'bob' });
  const on = add('127.10.0.2:2', { name: 'bob', connected: true });
  t.equal(tb.resolve('bob'), on, 'connected first');
  add('127.10.0.3:3', { name: 'bob', connected: true, key: 'cccc'.repeat(16) });
  t.throws(() => tb.resolve('bob'), {
    code: 'ERR_AMBIGUOUS_TARGET',
    message: /"bob" names 2 peers: bob 127\.10\.0\.2:2 \(unverified\), bob 127\.10\.0\.3:3 \(fp-cccc\)/,
  });
  const { tb: tb2, add: add2 } = table();
  add2('127.10.0.1:1', { name: 'carol' });
  add2('127.10.0.2:2', { name: 'carol' });
  t.throws(() => tb2.resolve('carol'), { code: 'ERR_AMBIGUOUS_TARGET' }, 'two unconnected namesakes');
});

t.test('byKey prefers the record with a session; connected() lists only those', async (t) => {
  const { tb, add } = table();
  const key = 'dddd'.repeat(16);
  add('127.10.0.1:1', { key });
  const on = add('127.10.0.2:2', { key, connected: true });
  t.equal(tb.byKey(key), on);
  t.same(
    tb.connected().map((r) => r.address),
    ['127.10.0.2:2'],
  );
  t.equal(tb.byKey('eeee'), undefined);
});

t.test('a real Peer resolves targets: ambiguous names, unknown names, typed addresses', async (t) => {
  const peer = new Peer({ name: 'pc', host: '127.0.0.1', identity: null });
  await peer.listen();
  t.teardown(() => peer.exit());
  const one = new RawClassicPeer('twin');
  const two = new RawClassicPeer('twin');
  await one.listen();
  await two.listen();
  t.teardown(() => Promise.all([one.close(), two.close()]));
  await peer.connect(`127.0.0.1:${one.port}`);
  t.match(peer.resolve('twin'), { address: `127.0.0.1:${one.port}`, connected: true });
  await peer.connect(`127.0.0.1:${two.port}`);
  t.throws(() => peer.resolve('twin'), { code: 'ERR_AMBIGUOUS_TARGET' });
  await t.rejects(peer.send('twin', 'hi'), { code: 'ERR_AMBIGUOUS_TARGET' });
  t.throws(() => peer.resolve('nobody'), { code: 'ERR_UNKNOWN_TARGET' });
  t.match(peer.resolve(' 127.0.0.1:9 '), { address: '127.0.0.1:9', connected: false, name: null });
  t.equal(peer.activePeers().length, 2, 'resolving a typed address discovers nothing');
  t.match(peer.resolve(`127.0.0.1:${two.port}`), { name: 'twin', protocol: 'classic' });
});

t.test('target: a known peer, a blank record for a typed address, else ERR_UNKNOWN_TARGET', async (t) => {
  const { tb, add } = table();
  const alice = add('127.10.0.1:1', { name: 'alice' });
  t.equal(tb.target(' alice '), alice);
  const typed = tb.target('127.10.0.2:2');
  t.match(typed, { address: '127.10.0.2:2', host: '127.10.0.2', port: 2, session: null });
  t.equal(tb.get('127.10.0.2:2'), undefined, 'typing an address discovers nothing');
  t.throws(() => tb.target('nobody'), { code: 'ERR_UNKNOWN_TARGET', message: /"nobody"/ });
  // written as an address but not a valid one: what is wrong with it, not "no known peer"
  t.throws(() => tb.target('127.0.0.1:70000'), {
    code: 'ERR_INVALID_ADDRESS',
    message: '"127.0.0.1:70000": the port must be a number from 1 to 65535',
  });
  t.throws(() => tb.target('127.0.0.1'), { code: 'ERR_INVALID_ADDRESS', message: /has no port/ });
  t.throws(() => tb.target('256.1.1.1:5000'), { code: 'ERR_INVALID_ADDRESS', message: /not a valid IPv4/ });
  t.throws(() => tb.target('bob:2'), { code: 'ERR_UNKNOWN_TARGET' }, 'a name with a colon is a name');
});

t.test("a stranger taking an away contact's name, key or fingerprint is not sent its messages", async (t) => {
  const { tb, add } = table();
  const aliceKey = 'a1'.repeat(32);
  const alice: Contact = {
    key: aliceKey,
    fingerprint: 'a1a1:a1a1:a1a1:a1a1',
    name: 'alice',
    addresses: ['127.10.0.1:1'],
    firstSeen: 1,
    lastSeen: 2,
    met: 'tcp',
  };
  const book: Contact[] = [alice];
  tb.contacts = () => book;
  tb.contactsNamed = (name) => book.filter((c) => c.name === name);
  // alice is away; a classic stranger says it is alice, and a native one calls itself by her fingerprint
  const impostor = add('127.10.0.9:9', { name: 'alice', connected: true });
  book.push({ ...alice, key: null, fingerprint: null, addresses: [impostor.address] }); // it is a contact now too
  t.throws(() => tb.resolve('alice'), {
    code: 'ERR_AMBIGUOUS_TARGET',
    message:
      /"alice" names 2 peers: alice 127\.10\.0\.9:9 \(unverified\), alice 127\.10\.0\.1:1 \(a1a1:a1a1:a1a1:a1a1\)/,
  });
  add('127.10.0.8:8', { name: 'a1a1:a1a1:a1a1:a1a1', key: 'ee'.repeat(32), connected: true });
  add('127.10.0.7:7', { name: aliceKey, connected: true });
  t.equal(tb.resolve('a1a1:a1a1:a1a1:a1a1'), undefined, 'a fingerprint never matches a name');
  t.equal(tb.resolve(aliceKey), undefined, 'a key never matches a name');
  t.match(tb.target('a1a1:a1a1:a1a1:a1a1'), { key: aliceKey, address: '127.10.0.1:1', session: null });
  t.match(tb.target(aliceKey), { key: aliceKey, session: null }, 'queued to her key, at her address');
  // a stranger named like the start of her fingerprint: that prefix names her too
  const hexName = add('127.10.0.6:6', { name: 'a1a1', connected: true });
  t.throws(() => tb.resolve('a1a1'), { code: 'ERR_AMBIGUOUS_TARGET', message: /"a1a1" names 2 peers/ });
  tb.delete(hexName.address);
  // when she is back, her own name is hers again
  book.pop();
  tb.delete(impostor.address);
  const back = add('127.10.0.1:1', { name: 'alice', key: aliceKey, connected: true });
  t.equal(tb.resolve('alice'), back);
});

t.test(
  'a real Peer with a store: a classic stranger claiming an away contact is not sent her messages',
  async (t) => {
    const dir = tempDir(t);
    const store = Store.open({ dataDir: dir });
    const victim = await nativePeer(t, 'victim', { dataDir: dir, store });
    const alice = await nativePeer(t, 'alice');
    await alice.connect(victim.address);
    await until(() => victim.contacts('alice').length === 1, 5000, 'alice in the contact book');
    await alice.exit();
    await until(() => victim.connectedPeers().length === 0, 5000, 'alice gone');
    const impostor = new RawClassicPeer('alice');
    await impostor.listen();
    t.teardown(() => impostor.close());
    const heard = new Promise((resolve) => victim.once('message', resolve));
    await impostor.open(victim.port, `MESSAGE:alice:${impostor.port}:it is me, new laptop`);
    await heard;
    await t.rejects(victim.send('alice', 'the wifi password'), {
      code: 'ERR_AMBIGUOUS_TARGET',
      message: /"alice" names 2 peers: .*\(unverified\).*\(use an address or a fingerprint\)/,
    });
    const fp = victim.contacts('alice').find((c) => c.key)!.fingerprint!;
    const r = await victim.send(fp, 'by fingerprint', { wait: false });
    t.equal(r.state, 'queued', 'queued for her key, not sent to the stranger');
    t.notOk(
      impostor.frames.some((f) => /wifi|fingerprint/.test(f.text)),
      'the stranger got nothing',
    );
  },
);
