/** Scenario 1: two peers exchange messages in both directions over a native session. */
import t from 'tap';
import { Cluster } from './harness.js';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const HEX_KEY_RE = /^[0-9a-f]{64}$/;

t.setTimeout(30_000);

t.test('two peers chat natively in both directions', async (t) => {
  const cluster = new Cluster(t);
  const alice = await cluster.spawn({ name: 'alice' });
  const bob = await cluster.spawn({ name: 'bob' });

  for (const p of [alice, bob]) {
    const listening = p.events[0]!;
    t.equal(listening.type, 'listening', `${p.name}: the first event is listening`);
    t.equal(listening.name, p.name);
    t.ok(p.port > 0 && p.port < 65536, `${p.name} got an ephemeral port`);
    t.match(listening.id, HEX_KEY_RE, `${p.name} has a public key`);
  }
  t.not(alice.id, bob.id, 'each peer has its own key');

  const info = (await alice.eval(`await peer.connect(${JSON.stringify(bob.address)})`)) as Record<
    string,
    unknown
  >;
  t.equal(info.address, bob.address, 'connect resolves to the peer info');
  t.equal(info.protocol, 'native');
  t.equal(info.key, bob.id, 'the key learned is the key bob announced');

  const [onAlice, onBob] = await Promise.all([
    alice.waitFor('peer-connected', (e) => e.peer === bob.address),
    bob.waitFor('peer-connected', (e) => e.peer === alice.address),
  ]);
  t.match(onAlice, { name: 'bob', protocol: 'native' });
  t.match(onBob, { name: 'alice', protocol: 'native' }, 'bob keys alice under her listening port');

  const before = Date.now();
  const sent = (await alice.eval(
    `await peer.send(${JSON.stringify(bob.address)}, "hello bob: ✓")`,
  )) as Record<string, unknown>;
  t.match(sent, { to: bob.address, protocol: 'native', state: 'acked' }, 'a native send resolves once acked');
  const m1 = await bob.waitFor('message', (e) => e.text === 'hello bob: ✓');
  t.match(m1, { from: alice.address, name: 'alice', protocol: 'native', verified: true });
  t.match(m1.id, UUID_RE, 'message id is a UUID');
  t.equal(m1.id, sent.id, 'the receiver sees the id the sender assigned');
  t.ok(typeof m1.ts === 'number' && (m1.ts as number) >= before - 1000 && (m1.ts as number) <= Date.now());

  // the other direction, addressed by name
  const back = (await bob.eval('await peer.send("alice", "hi alice")')) as Record<string, unknown>;
  t.equal(back.state, 'acked');
  const m2 = await alice.waitFor('message', (e) => e.text === 'hi alice');
  t.match(m2, { from: bob.address, name: 'bob', protocol: 'native', verified: true });
  t.not(m2.id, m1.id, 'ids are unique');

  t.same(alice.all('message').length, 1, 'alice got exactly one message (no echo of her own)');
  t.same(bob.all('message').length, 1, 'bob got exactly one message');
  for (const p of [alice, bob]) t.same(p.junk, [], `${p.name}: stdout carried only NDJSON`);
});
