import Protomux from 'protomux';
import t from 'tap';
import { type ChannelHandlers, createChatChannel } from '../../../src/net/native/channel.js';
import type * as m from '../../../src/net/native/messages.js';
import type { Hello, WireChat } from '../../../src/net/session.js';
import { hello, streamPair, until } from './helpers.js';

interface Seen {
  hello: Hello | null | undefined;
  closed: boolean;
  chats: Array<WireChat | null>;
  acks: Array<m.Ack | null>;
  requests: Array<m.PeersRequest | null>;
  answers: Array<m.PeersAnswer | null>;
  exits: Array<m.Exit | null>;
}

function recorder(): { seen: Seen; on: ChannelHandlers } {
  const seen: Seen = {
    hello: undefined,
    closed: false,
    chats: [],
    acks: [],
    requests: [],
    answers: [],
    exits: [],
  };
  const on: ChannelHandlers = {
    open: (h) => {
      seen.hello = h;
    },
    close: () => {
      seen.closed = true;
    },
    chat: (msg) => seen.chats.push(msg),
    ack: (msg) => seen.acks.push(msg),
    peersRequest: (msg) => seen.requests.push(msg),
    peersAnswer: (msg) => seen.answers.push(msg),
    exit: (msg) => seen.exits.push(msg),
  };
  return { seen, on };
}

t.test('both hellos arrive and each message reaches its own handler', async (t) => {
  const { a, b } = streamPair();
  t.teardown(() => {
    a.destroy();
    b.destroy();
  });
  const ra = recorder();
  const rb = recorder();
  const ca = createChatChannel(new Protomux(a), ra.on);
  const cb = createChatChannel(new Protomux(b), rb.on);
  if (!ca || !cb) throw new Error('no channel');
  ca.open(hello('alice'));
  cb.open(hello('bob'));
  await until(() => ra.seen.hello !== undefined && rb.seen.hello !== undefined, 5000, 'both hellos');
  t.equal(ra.seen.hello?.name, 'bob');
  t.equal(rb.seen.hello?.name, 'alice');

  ca.chat.send({ id: 'c1', ts: 5, text: 'hi' });
  ca.peersRequest.send({ requestId: 3 });
  ca.exit.send({});
  cb.ack.send({ id: 'c1' });
  cb.peersAnswer.send({ requestId: 3, entries: [] });
  await until(() => rb.seen.exits.length === 1 && ra.seen.answers.length === 1, 5000, 'the messages');
  t.same(rb.seen.chats, [{ id: 'c1', ts: 5, text: 'hi' }]);
  t.same(rb.seen.requests, [{ requestId: 3 }]);
  t.same(ra.seen.acks, [{ id: 'c1' }]);
  t.same(ra.seen.answers, [{ requestId: 3, entries: [] }]);
  t.same(
    [ra.seen.chats, ra.seen.requests, ra.seen.exits, rb.seen.acks, rb.seen.answers],
    [[], [], [], [], []],
  );
});

t.test('a second channel on the same mux is refused (null)', async (t) => {
  const { a, b } = streamPair();
  t.teardown(() => {
    a.destroy();
    b.destroy();
  });
  const mux = new Protomux(a);
  const first = createChatChannel(mux, recorder().on);
  first?.open(hello('alice'));
  t.ok(first);
  t.equal(createChatChannel(mux, recorder().on), null);
});
