/** Which joined rooms explain a swarm connection: the topic it was found under, or later lookups. */
import type NoiseSecretStream from '@hyperswarm/secret-stream';
import type Hyperswarm from 'hyperswarm';

export interface Room {
  name: string;
  secret: boolean;
  topicHex: string;
  discovery: Hyperswarm.PeerDiscoverySession | null;
  /** Settles when the first join of this room finished. */
  joined: Promise<void>;
}

export interface Tracked {
  conn: NoiseSecretStream;
  key: string;
  peerInfo: Hyperswarm.PeerInfo;
  /** The room named when the connection arrived. */
  room: string | null;
  /** Rooms our own extra lookups found this peer in. */
  rooms: Set<string>;
  opened: boolean;
  watchdog: NodeJS.Timeout | null;
}

/** Joined rooms whose topic our own lookups found this peer under. */
export function topicRooms(joined: ReadonlyMap<string, Room>, peerInfo: Hyperswarm.PeerInfo): string[] {
  const topics = new Set(peerInfo.topics.map((tp) => tp.toString('hex')));
  return [...joined.values()].filter((r) => topics.has(r.topicHex)).map((r) => r.name);
}

/** The joined rooms a connection belongs to: the one it arrived for first, then found ones. */
export function roomsOf(joined: ReadonlyMap<string, Room>, t: Tracked): string[] {
  const rooms = topicRooms(joined, t.peerInfo);
  for (const r of t.rooms) if (joined.has(r) && !rooms.includes(r)) rooms.push(r);
  if (t.room !== null && joined.has(t.room) && !rooms.includes(t.room)) rooms.unshift(t.room);
  return rooms;
}

/** The remote keys whose connections leaving `room` closes: those no other joined room explains. */
export function keysClosedByLeave(
  joined: ReadonlyMap<string, Room>,
  tracked: Iterable<Tracked>,
  room: string,
): string[] {
  if (!joined.has(room)) return [];
  const last = joined.size === 1;
  const keys: string[] = [];
  for (const t of tracked) {
    const rooms = roomsOf(joined, t);
    const others = rooms.filter((r) => r !== room);
    // a connection no room explains is closed only with the last room
    if (rooms.includes(room) ? others.length === 0 : rooms.length === 0 && last) keys.push(t.key);
  }
  return keys;
}
