/**
 * A room joined while already connected to a member through another room: the room is offered on
 * the existing connection (hyperswarm keeps one per peer key), so its history and live messages
 * flow without waiting for the swarm to link the connection to the new room. Peers on a 10-node
 * testnet inside a loopback-only network namespace.
 */
import { netnsTest, type Tap } from '../../integration/helpers/netns.js';

await netnsTest(import.meta.url, main);

async function main(t: Tap): Promise<void> {
  const { roomPeers, roomTestnet } = await import('./room-members.js');
  const { until } = await import('../helpers/wait.js');
  const { Rooms } = await import('../../src/rooms/swarm.js');

  t.setTimeout(90_000);
  const { member } = await roomTestnet(t);

  // The swarm never links a connection to room "second" (its later lookups would, some time after
  // the join): only the offer on the existing connection can carry it.
  const roomsOf = Rooms.prototype.roomsOf;
  Rooms.prototype.roomsOf = function (this: InstanceType<typeof Rooms>, key: string) {
    return roomsOf.call(this, key).filter((r) => r !== 'second');
  };
  t.teardown(() => {
    Rooms.prototype.roomsOf = roomsOf;
  });

  t.test('a room joined later replicates over the connection of an earlier room', async (t) => {
    const a = await member(t, 'alice');
    const b = await member(t, 'bob');
    const c = await member(t, 'carol');
    await Promise.all([a, b, c].map((m) => m.p.join('first')));
    await until(() => [a, b, c].every((m) => roomPeers(m.p, 'first') === 2), 20_000, 'connected in first');
    const keysBefore = a.p.connectedPeers().map((x) => x.key);

    await a.p.join('second');
    await a.p.say('second', 'said before bob joined');
    await b.p.join('second');
    await until(() => b.got.length === 1, 20_000, 'bob caught up over the existing connection');
    t.equal(b.got[0]?.text, 'said before bob joined');
    t.equal(b.got[0]?.room, 'second');
    t.equal(b.got[0]?.late, true, 'caught up: late');
    t.equal(b.got[0]?.name, 'alice');

    await b.p.say('second', 'live from bob');
    await until(() => a.got.length === 1, 10_000, 'alice got bob live');
    t.equal(a.got[0]?.text, 'live from bob');
    t.equal(a.got[0]?.room, 'second');
    t.equal(a.got[0]?.late, false, 'live');

    // carol joins third: she reads both, from whichever member holds them
    await c.p.join('second');
    await until(() => c.got.length === 2, 20_000, 'carol caught up on both');
    t.same(c.got.map((m) => m.text).sort(), ['live from bob', 'said before bob joined']);
    t.ok(
      c.got.every((m) => m.room === 'second'),
      'in their room',
    );
    const names = b.p.members('second').map((m) => m.name);
    t.ok(names.includes('alice') && names.includes('bob'), `bob knows the members (${names.join(', ')})`);
    t.same(
      a.got.filter((m) => m.room === 'first'),
      [],
      'nothing crossed into the first room',
    );
    t.same(
      a.p
        .connectedPeers()
        .map((x) => x.key)
        .sort(),
      keysBefore.sort(),
      'no new connections were needed',
    );
  });
}
