/** Opening sessions over a fake dial and the real session tables and trust: one dial per address, refusals. */
import t from 'tap';
import type { Session } from '../../src/net/session.js';
import type { Opened } from '../../src/net/upgrade.js';
import { Connector } from '../../src/peer/connector.js';
import { Sessions } from '../../src/peer/sessions.js';
import { Trust } from '../../src/peer/trust.js';
import type { Contact } from '../../src/store/contacts.js';
import { FakeSession, fakeCore } from '../helpers/core.js';

const KEY = 'b'.repeat(64);
const OTHER = 'c'.repeat(64);

function opened(host: string, port: number, key: string | null): Opened {
  const session = new FakeSession(key ? 'native' : 'classic', key) as unknown as Session;
  return { session, host, port, name: 'bob', key, via: 'tcp', dialled: { host, port } };
}

function setup() {
  const f = fakeCore({ port: 4000 });
  const trust = new Trust({ dataDir: null, allow: null, warn: f.core.warnings.sink });
  const sessions = new Sessions(f.core, {
    localId: () => 'a'.repeat(64),
    roomsOf: () => [],
    attached: () => {},
    established: () => {},
  });
  const dials: Array<[string, number, string | null]> = [];
  let answer = (host: string, port: number, key: string | null) => opened(host, port, key ?? KEY);
  const connector = new Connector(f.core, {
    dial: async (host, port, key) => {
      dials.push([host, port, key]);
      await new Promise((r) => setImmediate(r));
      return answer(host, port, key);
    },
    admit: (o, expected) => trust.admit(o, expected),
    refuseDowngrade: (address, key) => trust.refuseDowngrade(address, key),
    attach: (o) => sessions.attach(o),
  });
  return {
    f,
    connector,
    dials,
    trust,
    answerWith: (fn: typeof answer) => {
      answer = fn;
    },
  };
}

t.test('two connects to one address make one dial; a live session is returned without a dial', async (t) => {
  const { f, connector, dials } = setup();
  const [one, two] = await Promise.all([
    connector.connect('127.10.0.2:5000'),
    connector.connect('127.10.0.2:5000'),
  ]);
  t.equal(dials.length, 1);
  t.equal(one.address, '127.10.0.2:5000');
  t.same(two, one);
  t.ok(f.core.table.get('127.10.0.2:5000')?.session, 'in the tables');
  const again = await connector.connect(' 127.10.0.2:5000');
  t.equal(again.key, KEY);
  t.equal(dials.length, 1, 'no second dial');
});

t.test('our own address is refused; a live session under another key than asked is refused', async (t) => {
  const { connector, dials } = setup();
  await t.rejects(connector.connect('127.0.0.1:4000'), { code: 'ERR_INVALID_ADDRESS' });
  await connector.connect('127.10.0.2:5000');
  await t.rejects(connector.connect('127.10.0.2:5000', { key: OTHER }), {
    code: 'ERR_KEY_MISMATCH',
    message: /not the key expected/,
  });
  t.equal((await connector.connect('127.10.0.2:5000', { key: KEY.toUpperCase() })).key, KEY);
  t.equal(dials.length, 1);
});

t.test(
  "a contact's name dials its last address expecting its key; without an address it is unreachable",
  async (t) => {
    const { f, connector, dials } = setup();
    const contact = (name: string, addresses: string[], key = KEY): Contact => ({
      key,
      fingerprint: 'fp',
      name,
      addresses,
      firstSeen: 1,
      lastSeen: 2,
      met: 'tcp',
    });
    f.core.table.contacts = () => [contact('bob', ['127.10.0.2:5000']), contact('roomie', [], OTHER)];
    const info = await connector.connect('bob');
    t.same(dials, [['127.10.0.2', 5000, KEY]]);
    t.equal(info.key, KEY);
    t.equal((await connector.connect('bob')).address, info.address, 'then its live session');
    await t.rejects(connector.connect('roomie'), {
      code: 'ERR_PEER_UNREACHABLE',
      message: /roomie has no known address/,
    });
    t.equal(connector.contactRecord('nobody'), undefined);
  },
);

t.test(
  'adopt: a refused session is destroyed and the refusal thrown; plaintext to a known key is a downgrade',
  async (t) => {
    const { f, connector, trust, answerWith } = setup();
    trust.trust('127.10.0.3:1', OTHER);
    const refused = opened('127.10.0.3', 1, KEY);
    const session = refused.session as unknown as FakeSession;
    t.throws(() => connector.adopt(refused, { expected: null }), { code: 'ERR_KEY_MISMATCH' });
    t.ok(session.closed, 'the session was destroyed');
    t.equal(f.core.table.get('127.10.0.3:1')?.session ?? null, null);

    trust.trust('127.10.0.4:1', KEY);
    answerWith((host, port) => opened(host, port, null));
    await t.rejects(connector.connect('127.10.0.4:1'), { code: 'ERR_DOWNGRADE' });
    t.equal(f.core.table.get('127.10.0.4:1')?.session ?? null, null, 'not in the tables');
  },
);
