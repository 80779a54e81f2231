/** Inbound handshake slots: bounded in total, the busiest IP yields its oldest to a quieter newcomer. */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import t from 'tap';
import { HandshakeSlots } from '../../src/net/handshake-slots.js';

function fakeSocket(): Socket & { destroyed: boolean } {
  const s = new EventEmitter() as Socket & { destroyed: boolean };
  s.destroyed = false;
  s.destroy = () => {
    s.destroyed = true;
    s.emit('close');
    return s;
  };
  return s;
}

t.test('full: the oldest of the busiest IP goes for a quieter one; the busy one is refused', async (t) => {
  const slots = new HandshakeSlots(3);
  const a1 = fakeSocket();
  const a2 = fakeSocket();
  t.same(slots.take('127.0.0.1', a1), { ok: true, evicted: null });
  t.same(slots.take('127.0.0.1', a2), { ok: true, evicted: null });
  t.same(slots.take('127.0.0.2', fakeSocket()), { ok: true, evicted: null });
  t.match(slots.take('127.0.0.1', fakeSocket()), { ok: false, why: /3 handshakes already in progress/ });
  t.same(slots.take('127.0.0.3', fakeSocket()), { ok: true, evicted: '127.0.0.1' });
  t.ok(a1.destroyed, 'the oldest of the busiest was closed');
  t.notOk(a2.destroyed);
  t.equal(slots.size, 3);
  // IPs now hold 1 each: nobody is busier than a newcomer would be
  t.match(slots.take('127.0.0.4', fakeSocket()), { ok: false });
});

t.test('a slot is freed by release() or by the socket closing, once', async (t) => {
  const slots = new HandshakeSlots(2);
  const s = fakeSocket();
  slots.take('127.0.0.1', s);
  slots.release('127.0.0.1', s);
  s.emit('close');
  t.equal(slots.size, 0, 'released once, not twice');
  const u = fakeSocket();
  slots.take('127.0.0.1', u);
  u.emit('close');
  t.equal(slots.size, 0);
});
