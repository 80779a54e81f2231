/**
 * A stranger claims a connected peer's address: bob is connected to alice (he dialled her, so at
 * alice his address is only his claim), and an impostor process on the same IP opens a session
 * with another key claiming bob's port. Before, the lower key won the tie-break and took bob's
 * entry: what alice then sent to bob's address went to the impostor. Real peerchat processes and a
 * raw impostor.
 */
import crypto from 'hypercore-crypto';
import t from 'tap';
import { Cluster } from '../harness.js';
import { dialNative } from '../native-client.js';

t.setTimeout(60_000);

t.test("an impostor claiming a connected peer's port does not take its place", async (t) => {
  const cluster = new Cluster(t);
  const alice = await cluster.spawn({ name: 'alice' });
  const bob = await cluster.spawn({ name: 'bob', connect: [alice.address] });
  await alice.waitFor('peer-connected', (e) => e.peer === bob.address);
  t.ok(bob.id, "bob's key, from his listening line");
  const alicePort = Number(alice.address.split(':')[1]);
  const bobPort = Number(bob.address.split(':')[1]);

  // a key lower than bob's: the one that won the old tie-break between two inbound sessions
  let keyPair = crypto.keyPair();
  while (keyPair.publicKey.toString('hex') >= String(bob.id)) keyPair = crypto.keyPair();
  const refused = alice.waitFor('warning', (e) => e.code === 'ERR_ADDRESS_IN_USE');
  const impostor = await dialNative(alicePort, { name: 'bob', claimedPort: bobPort, keyPair });
  t.teardown(() => impostor.socket.destroy());
  const warning = await refused;
  t.match(warning.message, /connected from that address/, `alice says why: ${warning.message}`);

  const got = bob.waitFor('message', (e) => e.text === 'for bob only');
  const sent = await alice.eval(`(await peer.send(${JSON.stringify(bob.address)}, "for bob only")).state`);
  t.equal(sent, 'acked', 'a send to bob still reaches bob');
  await got;
  t.equal(impostor.chats.length, 0, 'the impostor received nothing');
  t.equal(
    alice.all('peer-disconnected', (e) => e.peer === bob.address).length,
    0,
    'bob was never pushed out',
  );
});

t.test('a hello stating port 0 is refused: that address could never be dialled back', async (t) => {
  const cluster = new Cluster(t);
  const alice = await cluster.spawn({ name: 'alice' });
  const alicePort = Number(alice.address.split(':')[1]);
  const refused = alice.waitFor('warning', (e) => /stated port 0 in its hello/.test(String(e.message)));
  const raw = await dialNative(alicePort, { name: 'zero', claimedPort: 4000, helloPort: 0 });
  t.teardown(() => raw.socket.destroy());
  t.match(await refused, { code: 'ERR_BAD_FRAME' });
  t.equal(alice.all('peer-connected', (e) => e.name === 'zero').length, 0, 'never connected');
});
