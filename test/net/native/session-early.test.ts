/**
 * Chats that arrive before anyone listens for 'chat' are held, not lost: the remote may send right
 * after its ready, and the Peer attaches its listener only after awaiting `ready` (found by the
 * bench: a message sent right after connect() was sometimes never acked).
 */
import t from 'tap';
import { pipePair } from './helpers.js';

t.test(
  'chats received before a chat listener exists are delivered, in order, once one is added',
  async (t) => {
    const { a, b } = pipePair();
    t.teardown(() => {
      a.destroy();
      b.destroy();
    });
    await Promise.all([a.ready, b.ready]);
    const sent = [
      a.sendChat({ id: 'm1', ts: 1, text: 'first' }),
      a.sendChat({ id: 'm2', ts: 2, text: 'second' }),
    ];
    // b answers a peers request with nothing (no listener); the answer comes after b read m1 and m2
    t.same(await a.requestPeers(), []);

    const got: string[] = [];
    b.on('chat', (chat, ack) => {
      got.push(chat.id);
      ack();
    });
    await Promise.all(sent);
    t.same(got, ['m1', 'm2'], 'both delivered in order, and acked');

    await a.sendChat({ id: 'm3', ts: 3, text: 'third' });
    t.same(got, ['m1', 'm2', 'm3'], 'later chats go straight to the listener');
  },
);
