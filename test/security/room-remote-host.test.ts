/**
 * Issue 15 #15: a room (swarm) connection whose raw stream has no remote host used to be recorded
 * as 127.0.0.1, colliding with local peers. Now it is closed with a warning and never attached;
 * one with a host is attached under that host. PeerRooms over real secret-streams in memory (as
 * hyperswarm hands them over, but without a UDX raw stream), no DHT.
 */
import crypto from 'hypercore-crypto';
import t from 'tap';
import { createNativeSession } from '../../src/net/native/session.js';
import type { Opened } from '../../src/net/upgrade.js';
import { PeerRooms } from '../../src/peer/rooms.js';
import type { RoomConnectionInfo } from '../../src/rooms/swarm.js';
import { fakeCore } from '../helpers/core.js';
import { hello, streamPair, timeouts, until } from '../net/native/helpers.js';

type OnConnection = (conn: unknown, info: RoomConnectionInfo) => Promise<void>;

function setup() {
  const f = fakeCore();
  const kp = crypto.keyPair();
  const identity = { ...kp, id: kp.publicKey.toString('hex'), fingerprint: 'test' };
  const adopted: Opened[] = [];
  const rooms = new PeerRooms(f.core, {
    identity,
    dht: undefined,
    hello: () => hello('me', 4000),
    verifyKey: () => null,
    adopt: (o) => adopted.push(o),
  });
  // what the swarm calls for each connection (rooms/swarm.ts #onConnection)
  const onConnection = (rooms as unknown as { onConnection: OnConnection }).onConnection.bind(rooms);
  return { ...f, identity, adopted, onConnection };
}

/** A connection as hyperswarm hands it over, with the remote side running the native channel. */
function connection(identity: { publicKey: Buffer; secretKey: Buffer }) {
  const remoteKeys = crypto.keyPair();
  const { a: ours, b: theirs } = streamPair(identity, remoteKeys);
  const remote = createNativeSession(theirs, {
    isInitiator: false,
    keyPair: remoteKeys,
    hello: hello('remote', 4100),
    timeouts: timeouts(),
  });
  return { ours, remote, remoteKey: remoteKeys.publicKey.toString('hex') };
}

t.test('a room connection without a remote host is closed with a warning, never attached', async (t) => {
  const { identity, adopted, onConnection, warned } = setup();
  const { ours, remote, remoteKey } = connection(identity);
  t.teardown(() => remote.destroy());
  t.equal((ours.rawStream as { remoteHost?: string }).remoteHost, undefined, 'the raw stream has no host');
  await onConnection(ours, { room: 'lobby', remoteKey, remoteHost: null, initiator: true });
  await until(() => ours.destroyed && remote.closed, 5000, 'both ends closed');
  t.equal(adopted.length, 0, 'not attached (it was recorded as 127.0.0.1 before)');
  t.match(warned, [{ code: 'ERR_DISCONNECTED', message: /room connection that has no remote address/ }]);
});

t.test('a room connection with a remote host is attached under that host', async (t) => {
  const { identity, adopted, onConnection, warned } = setup();
  const { ours, remote, remoteKey } = connection(identity);
  t.teardown(() => {
    remote.destroy();
    ours.destroy();
  });
  await onConnection(ours, { room: 'lobby', remoteKey, remoteHost: '127.10.0.7', initiator: true });
  t.equal(adopted.length, 1);
  t.match(adopted[0], { host: '127.10.0.7', port: 4100, name: 'remote', key: remoteKey, via: 'room:lobby' });
  t.same(warned, []);
});
