import t from 'tap';
import { EarlyChats, MAX_EARLY_CHATS } from '../../../src/net/native/early-chats.js';
import type { AckChat, WireChat } from '../../../src/net/session.js';

const chat = (id: string): WireChat => ({ id, ts: 1, text: `t${id}` });
const noAck: AckChat = () => {};

t.test('held chats are handed over once, in order', async (t) => {
  const early = new EarlyChats();
  t.equal(early.holding, false);
  t.equal(early.hold(chat('1'), noAck), true);
  t.equal(early.hold(chat('2'), noAck), true);
  t.equal(early.holding, true);
  const got: string[] = [];
  early.drain((c) => {
    got.push(c.id);
    return true;
  });
  t.same(got, ['1', '2']);
  t.equal(early.holding, false);
  early.drain(() => t.fail('nothing is handed over twice'));
});

t.test('past MAX_EARLY_CHATS a chat is dropped', async (t) => {
  const early = new EarlyChats();
  for (let i = 0; i < MAX_EARLY_CHATS; i++) t.equal(early.hold(chat(String(i)), noAck), true);
  t.equal(early.hold(chat('over'), noAck), false);
  let count = 0;
  early.drain(() => ++count > 0);
  t.equal(count, MAX_EARLY_CHATS);
});

t.test('drain stops, dropping the rest, when deliver says no', async (t) => {
  const early = new EarlyChats();
  for (const id of ['1', '2', '3']) early.hold(chat(id), noAck);
  const got: string[] = [];
  early.drain((c) => {
    got.push(c.id);
    return c.id !== '2';
  });
  t.same(got, ['1', '2']);
  t.equal(early.holding, false, 'the rest is dropped');
});

t.test('each chat keeps its own ack', async (t) => {
  const early = new EarlyChats();
  const acked: string[] = [];
  early.hold(chat('a'), () => acked.push('a'));
  early.hold(chat('b'), () => acked.push('b'));
  early.drain((_c, ack) => {
    ack();
    return true;
  });
  t.same(acked, ['a', 'b']);
});
