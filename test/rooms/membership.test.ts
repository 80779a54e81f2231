import type Hyperswarm from 'hyperswarm';
import t from 'tap';
import {
  keysClosedByLeave,
  type Room,
  roomsOf,
  type Tracked,
  topicRooms,
} from '../../src/rooms/membership.js';

const hex = (c: string) => c.repeat(64);
function room(name: string, topic: string): Room {
  return { name, secret: false, topicHex: hex(topic), discovery: null, joined: Promise.resolve() };
}
function tracked(
  key: string,
  topics: string[],
  arrived: string | null = null,
  found: string[] = [],
): Tracked {
  const peerInfo = {
    topics: topics.map((c) => Buffer.from(hex(c), 'hex')),
  } as unknown as Hyperswarm.PeerInfo;
  return {
    conn: {} as Tracked['conn'],
    key,
    peerInfo,
    room: arrived,
    rooms: new Set(found),
    opened: true,
    watchdog: null,
  };
}

t.test('a connection belongs to its arrival room first, then topic and lookup rooms', async (t) => {
  const joined = new Map([
    ['a', room('a', 'a')],
    ['b', room('b', 'b')],
    ['c', room('c', 'c')],
  ]);
  t.same(topicRooms(joined, tracked('k', ['b', 'f']).peerInfo), ['b']);
  t.same(roomsOf(joined, tracked('k', ['b'], 'a', ['c', 'gone'])), ['a', 'b', 'c']);
  t.same(roomsOf(joined, tracked('k', [], 'left')), [], 'rooms not joined any more do not count');
});

t.test('leaving closes only the connections no other room explains', async (t) => {
  const joined = new Map([
    ['a', room('a', 'a')],
    ['b', room('b', 'b')],
  ]);
  const conns = [tracked('onlyA', ['a']), tracked('both', ['a', 'b']), tracked('none', [])];
  t.same(keysClosedByLeave(joined, conns, 'a'), ['onlyA']);
  t.same(keysClosedByLeave(joined, conns, 'zzz'), [], 'a room not joined closes nothing');
  const one = new Map([['a', room('a', 'a')]]);
  t.same(
    keysClosedByLeave(one, conns, 'a'),
    ['onlyA', 'both', 'none'],
    'the last room closes the unexplained too',
  );
});
