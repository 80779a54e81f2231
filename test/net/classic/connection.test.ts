/** Frame ends on a classic connection: a newline, or for the original (which sends none) a quiet gap. */
import { EventEmitter, once } from 'node:events';
import type { Socket } from 'node:net';
import t from 'tap';
import type { Frame } from '../../../src/net/classic/codec.js';
import { ClassicConnection } from '../../../src/net/classic/connection.js';

function fakeSocket(): Socket {
  const s = new EventEmitter() as unknown as Socket & Record<string, unknown>;
  Object.assign(s, {
    remoteAddress: '127.0.0.1',
    remotePort: 4000,
    setNoDelay: () => s,
    setTimeout: () => s,
    end: () => s,
    destroy: () => s,
  });
  return s;
}

function frames(conn: ClassicConnection): Frame[] {
  const seen: Frame[] = [];
  conn.on('frame', (f) => seen.push(f));
  return seen;
}

t.test('the original sends no newline: a quiet gap ends its frame', async (t) => {
  const socket = fakeSocket();
  const conn = new ClassicConnection(socket);
  const got = once(conn, 'frame');
  socket.emit('data', Buffer.from('MESSAGE:old:9000:hi there'));
  t.match(await got, [{ verb: 'MESSAGE', name: 'old', text: 'hi there' }]);
});

t.test('after a newline-ended frame, a line split across reads waits for its newline', async (t) => {
  const socket = fakeSocket();
  const conn = new ClassicConnection(socket);
  const seen = frames(conn);
  socket.emit('data', Buffer.from('MESSAGE:nc:9100:first\nMESSAGE:nc:9100:transfer 100 EUR to account 12'));
  t.match(seen, [{ text: 'first' }]);
  t.equal((conn as unknown as { gapTimer: unknown }).gapTimer, null, 'no gap timer: the tail waits');
  socket.emit('data', Buffer.from('34-5678 please\n'));
  t.match(seen, [{ text: 'first' }, { text: 'transfer 100 EUR to account 1234-5678 please' }]);
  t.equal(seen.length, 2);
  // a tail left when the sender ends its side is still taken
  socket.emit('data', Buffer.from('MESSAGE:nc:9100:last words'));
  socket.emit('end');
  t.match(seen.at(-1), { text: 'last words' });
});
