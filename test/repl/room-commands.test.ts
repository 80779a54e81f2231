import t from 'tap';
import { fingerprint } from '../../src/net/native/identity.js';
import { builtinCommands } from '../../src/repl/commands.js';
import { createColors, formatMessage } from '../../src/repl/format.js';
import { createPeerGlobal } from '../../src/repl/global.js';
import { JsonWriter } from '../../src/repl/json.js';
import { formatMembers } from '../../src/repl/room-commands.js';
import { FakePeer, makeMessage } from './fake-peer.js';

function setup() {
  const peer = new FakePeer();
  const printed: string[] = [];
  const chats: string[] = [];
  const g = createPeerGlobal(peer, { chat: (target) => void chats.push(target), quit: async () => {} });
  const commands = builtinCommands(g, { print: (s) => printed.push(s), colors: createColors(false) });
  return { peer, printed, chats, commands };
}

t.test('.say <room> <text> says the rest of the line in the room', async (t) => {
  const { peer, printed, commands } = setup();
  const r = (await commands.say?.action('team  hello   there')) as { room: string };
  t.equal(r.room, 'team');
  t.same(peer.said, [{ room: 'team', text: 'hello   there' }]);
  t.match(printed[0], /said in team/);
  await t.rejects(async () => commands.say?.action('team'), { code: 'ERR_USAGE' });
});

t.test('.room <room> enters room chat mode; .members needs a joined room', async (t) => {
  const { chats, commands } = setup();
  await commands.room?.action('team');
  t.same(chats, ['room:team']);
  t.throws(() => commands.members?.action('team'), { code: 'ERR_ROOM' });
  t.throws(() => commands.members?.action(''), { code: 'ERR_USAGE' });
});

t.test('members, late messages and NDJSON room fields are shown', async (t) => {
  const c = createColors(false);
  const text = formatMembers(
    [
      { key: 'a'.repeat(64), name: 'alice', lastSeen: 1, online: true, peers: [] },
      { key: 'b'.repeat(64), name: null, lastSeen: null, online: false, peers: [] },
    ],
    c,
  );
  t.match(
    text,
    new RegExp(`alice {2}${fingerprint('a'.repeat(64))} {2}online`),
    'the fingerprint its messages show',
  );
  t.match(text, new RegExp(`\\? {2}${fingerprint('b'.repeat(64))} {2}never seen`));
  const late = makeMessage({ from: 'room:team', text: 'old news', room: 'team', late: true });
  t.match(formatMessage(late, c), /room:team .*\(late\): old news/);
  t.notMatch(formatMessage({ ...late, late: false }, c), /late/);
  const lines: string[] = [];
  const w = new JsonWriter({ write: (s: string) => lines.push(s) } as never);
  w.message(late);
  w.message(makeMessage({ from: '127.0.0.1:5000', text: 'one to one' }));
  await new Promise((r) => setImmediate(r)); // a burst of messages is written at the end of the tick
  const [room, direct] = lines
    .join('')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  t.equal(room.room, 'team');
  t.equal(room.late, true);
  t.notOk('room' in direct, 'absent for one-to-one messages');
  t.notOk('late' in direct);
});
