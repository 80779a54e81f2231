/** The one dispatch of classic frames, over a fake connection. */
import t from 'tap';
import type { Warning } from '../../../src/errors.js';
import { parseFrame } from '../../../src/net/classic/codec.js';
import type { ClassicConnection } from '../../../src/net/classic/connection.js';
import { routeFrame } from '../../../src/net/classic/frames.js';
import type { ClaimedSender, WireChat } from '../../../src/net/session.js';

function route(line: string) {
  const written: string[] = [];
  const conn = {
    remoteHost: '127.10.0.7',
    socket: { remoteAddress: '::ffff:127.10.0.7' },
    write: async (s: string) => {
      written.push(s);
    },
  } as unknown as ClassicConnection;
  const seen: {
    connect: string[];
    chats: Array<[WireChat, ClaimedSender]>;
    exits: number[];
    warnings: Warning[];
  } = { connect: [], chats: [], exits: [], warnings: [] };
  const parsed = parseFrame(line);
  if (!parsed.ok) throw new Error(parsed.message);
  routeFrame(parsed.frame, conn, {
    connect: (f, host) => seen.connect.push(`${f.name}@${host}:${f.port}`),
    chat: (chat, ack, claimed) => {
      ack();
      seen.chats.push([chat, claimed]);
    },
    peerlist: () => ['127.10.0.1:1', '127.10.0.2:2'],
    exit: (port, host) => seen.exits.push(port) && host === '127.10.0.7',
    warning: (w) => seen.warnings.push(w),
  });
  return { ...seen, written };
}

t.test('MESSAGE and BARE: a chat from the claimed sender, with a fresh id', async (t) => {
  const m = route('MESSAGE:old:7000:hello: there');
  t.match(m.chats, [
    [
      { text: 'hello: there', id: /^[0-9a-f-]{36}$/ },
      { host: '127.10.0.7', port: 7000, name: 'old' },
    ],
  ]);
  t.ok(Math.abs(m.chats[0]![0].ts - Date.now()) < 5000);
  const b = route('127.10.0.8:7001 bare hi there');
  t.match(
    b.chats,
    [[{ text: 'hi there' }, { host: '127.10.0.7', port: 7001, name: 'bare', statedHost: '127.10.0.8' }]],
    'BARE: the socket IP, the claimed port, and the IP it states (the inbox compares them)',
  );
});

t.test('QUERY is answered with the peer list; CONNECT and EXIT go to the route', async (t) => {
  t.same(route('QUERY').written, ['PEERLIST:127.10.0.1:1,127.10.0.2:2\n']);
  t.same(route('CONNECT:bob:5000').connect, ['bob@127.10.0.7:5000']);
  t.same(route('EXIT:5000').exits, [5000]);
});

t.test('ACK and PEERLIST out of place are warnings', async (t) => {
  t.match(route('ACK:bob:5000').warnings, [
    { code: 'ERR_BAD_FRAME', message: /unexpected ACK from 127\.10\.0\.7/ },
  ]);
  t.match(route('PEERLIST:127.10.0.1:1').warnings, [{ code: 'ERR_UNSOLICITED_PEERLIST' }]);
});
