/**
 * Chats that arrive before anyone listens for 'chat' are held, not lost: the remote may send right
 * after its ready, and the Peer attaches its listener only after awaiting `ready` (found by the
 * bench: a message sent right after connect() was sometimes never acked).
 */
import t from 'tap';
import { EARLY_FULL_RETRY_MS, MAX_EARLY_CHATS } from '../../../src/net/native/early-chats.js';
import { RefusedError } from '../../../src/net/native/session.js';
import { readyPair } from './helpers.js';

t.test(
  'chats received before a chat listener exists are delivered, in order, once one is added',
  async (t) => {
    const { a, b } = await readyPair(t);
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

t.test(
  'between sessions: chats past the cap before the Peer listens are refused with a wait, the rest acked',
  async (t) => {
    const { a, b } = await readyPair(t);
    const n = MAX_EARLY_CHATS + 44;
    // nobody listens on b yet: the first MAX_EARLY_CHATS are held, the rest refused at once
    const sent = Array.from({ length: n }, (_, i) =>
      a.sendChat({ id: `e${i}`, ts: i, text: `early ${i}` }).then(
        () => 'acked' as const,
        (err: unknown) => err,
      ),
    );
    const refused = await Promise.all(sent.slice(MAX_EARLY_CHATS));
    t.ok(
      refused.every((e) => e instanceof RefusedError && e.retryAfterMs === EARLY_FULL_RETRY_MS),
      `the ${n - MAX_EARLY_CHATS} past the cap are refused with a wait of ${EARLY_FULL_RETRY_MS} ms`,
    );
    const got: string[] = [];
    b.on('chat', (chat, ack) => {
      got.push(chat.id);
      ack();
    });
    const held = await Promise.all(sent.slice(0, MAX_EARLY_CHATS));
    t.ok(
      held.every((r) => r === 'acked'),
      'the held ones are acked once the Peer listens',
    );
    t.same(
      got,
      Array.from({ length: MAX_EARLY_CHATS }, (_, i) => `e${i}`),
      'in order',
    );
  },
);
