/** PeerApi's members as data: every name is a real Peer's member; live properties follow the peer. */
import t from 'tap';
import { defineLive, PEER_API, PEER_API_NAMES, PEER_PROPERTIES } from '../../src/peer/members.js';
import { Peer } from '../../src/peer/peer.js';
import { PEER_API_MEMBERS } from '../../src/plugins/index.js';

t.test('every listed member is on a Peer, as a property or a method', async (t) => {
  const peer = new Peer({ name: 'me', host: '127.0.0.1' });
  t.teardown(() => peer.exit());
  for (const name of PEER_API_NAMES) {
    if (PEER_API[name] === 'method') t.equal(typeof peer[name], 'function', name);
    else t.ok(name in peer, name);
  }
  t.same([...PEER_PROPERTIES], ['name', 'host', 'port', 'address', 'id', 'fingerprint']);
  for (const name of PEER_API_NAMES) t.ok(PEER_API_MEMBERS.includes(name), `${name} is reserved for helpers`);
});

t.test('defineLive: getters that read the peer when asked', async (t) => {
  const peer = new Peer({ name: 'me', host: '127.0.0.1' });
  t.teardown(() => peer.exit());
  const view = defineLive({ own: 1 }, peer, ['port', 'address']);
  t.equal(view.port, 0);
  await peer.listen();
  t.equal(view.port, peer.port);
  t.not(view.port, 0, 'read after listen');
  t.equal(view.address, `127.0.0.1:${peer.port}`);
  t.same(Object.keys(view), ['own', 'port', 'address']);
});
