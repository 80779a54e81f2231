/** The group-room dot-commands: `.say`, `.room` (room chat mode) and `.members`. */
import { PeerchatError } from '../errors.js';
import { fingerprint } from '../net/native/identity.js';
import type { RoomMember } from '../rooms/log/public-types.js';
import { group } from './commands/shared.js';
import { type Colors, formatStamp, plural, sanitize } from './format.js';

/** `<room> <rest…>`: the room name is the first word. */
function roomAndText(args: string, usage: string): [string, string] {
  const m = /^(\S+)\s+([\s\S]+)$/.exec(args.trim());
  if (!m) throw new PeerchatError('ERR_USAGE', `usage: ${usage}`);
  return [m[1] as string, m[2] as string];
}

function oneWord(args: string, usage: string): string {
  const w = args.trim().split(/\s+/).filter(Boolean);
  if (w.length !== 1) throw new PeerchatError('ERR_USAGE', `usage: ${usage}`);
  return w[0] as string;
}

export function formatMembers(list: RoomMember[], c: Colors): string {
  if (list.length === 0) return c.dim('no members known');
  return list
    .map((m) => {
      const state = m.online
        ? c.green('online')
        : c.dim(m.lastSeen ? `seen ${formatStamp(m.lastSeen)}` : 'never seen');
      // the fingerprint the member's room messages show, so a line can be matched to its author
      return `${c.bold(sanitize(m.name ?? '?'))}  ${fingerprint(m.key)}  ${state}`;
    })
    .join('\n');
}

export const groupRoomCommands = group(['say', 'room', 'members'], (g, io) => {
  const c = io.colors;
  return {
    say: {
      help: 'Say something to everyone in a joined room (its shared history): .say <room> <text>',
      async action(args) {
        const [room, text] = roomAndText(args, '.say <room> <text>');
        const r = await g.say(room, text);
        io.print(
          `${c.green('said')} in ${sanitize(r.room)} (${r.id}, held by ${plural(r.holders, 'member')})`,
        );
        return r;
      },
    },
    room: {
      help: 'Chat in a joined room: .room <room>  (each line is said; .exit or Ctrl-D leaves)',
      async action(args) {
        await g.chat(`room:${oneWord(args, '.room <room>')}`);
      },
    },
    members: {
      help: 'Show every member known to a joined room, online or not: .members <room>',
      action(args) {
        const list = g.members(oneWord(args, '.members <room>'));
        io.print(formatMembers(list, c));
        return list;
      },
    },
  };
});
