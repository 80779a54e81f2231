/** Rooms: join, leave and list the DHT rooms. */

import { type Colors, plural } from '../format.js';
import type { PeerGlobal } from '../global.js';
import { extra, group, words } from './shared.js';

type RoomLine = ReturnType<PeerGlobal['rooms']>[number];

function formatRooms(rooms: RoomLine[], c: Colors): string {
  if (rooms.length === 0) return c.dim('no rooms joined');
  return rooms.map((r) => `${r.name}${r.secret ? ' (secret)' : ''}  ${plural(r.peers, 'peer')}`).join('\n');
}

export const roomCommands = group(['join', 'leave', 'rooms'], (g, io) => {
  const c = io.colors;
  return {
    join: {
      help: 'Join a DHT room: .join <room> [secret]',
      async action(args) {
        const [room = '', secret] = words(args, '.join <room> [secret]', 1, 2);
        const rooms = await extra(g, 'join')(room, secret ? { secret } : {});
        io.print(`${c.green('joined')} ${room}`);
        return rooms;
      },
    },
    leave: {
      help: 'Leave a DHT room: .leave <room>',
      async action(args) {
        const [room = ''] = words(args, '.leave <room>', 1);
        const rooms = await extra(g, 'leave')(room);
        io.print(`left ${room}`);
        return rooms;
      },
    },
    rooms: {
      help: 'Show the rooms joined',
      action() {
        const rooms = extra(g, 'rooms')();
        io.print(formatRooms(rooms, c));
        return rooms;
      },
    },
  };
});
