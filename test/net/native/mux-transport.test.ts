import { once } from 'node:events';
import type SecretStream from '@hyperswarm/secret-stream';
import c from 'compact-encoding';
import fc from 'fast-check';
import Protomux from 'protomux';
import t, { type Test } from 'tap';
import * as m from '../../../src/net/native/messages.js';
import { MAX_CHANNEL_OPENS, MuxTransport } from '../../../src/net/native/mux-transport.js';
import { createNativeSession, type NativeSession, PROTOCOL } from '../../../src/net/native/session.js';
import { hello, keyPair, pipePair, rawRemote, streamPair, timeouts, waitFor } from './helpers.js';

async function expectWarning(t: Test, session: NativeSession, code: string): Promise<void> {
  const warning = waitFor<[{ code: string; message: string }]>(session, 'warning');
  const closed = waitFor<[string, Error]>(session, 'close');
  const [w] = await warning;
  t.equal(w.code, code, `warning ${code}: ${w.message}`);
  const [reason, err] = await closed;
  t.equal(reason, 'lost', 'the session closes');
  t.equal((err as { code?: string }).code, code, 'close carries the error');
}

t.test('a remote speaking another protocol version gets ERR_PROTOCOL_VERSION at once', async (t) => {
  const started = Date.now();
  const { session } = await rawRemote(t, { protocols: ['peerchat/2'] });
  await t.rejects(session.ready, { code: 'ERR_PROTOCOL_VERSION', message: /peerchat\/2/ });
  t.ok(Date.now() - started < 2000, 'well before the handshake timeout');
});

t.test('a remote that opens peerchat/2 and peerchat/1 is fine', async (t) => {
  const { session } = await rawRemote(t, { protocols: ['peerchat/2', PROTOCOL] });
  const h = await session.ready;
  t.equal(h.name, 'them');
});

t.test('an unknown message type closes that session with a warning', async (t) => {
  const { session, channels } = await rawRemote(t, { messages: m.MESSAGE_COUNT + 3 });
  await session.ready;
  channels[0]?.messages[m.MESSAGE_COUNT + 2]?.send(Buffer.from('hi'));
  await expectWarning(t, session, 'ERR_UNKNOWN_MESSAGE');
});

t.test('a malformed chat closes that session with a warning', async (t) => {
  const { session, channels } = await rawRemote(t);
  await session.ready;
  let chats = 0;
  session.on('chat', () => chats++);
  channels[0]?.messages[m.MESSAGE_TYPES.chat]?.send(Buffer.from([0xff, 1]));
  await expectWarning(t, session, 'ERR_BAD_FRAME');
  t.equal(chats, 0);
});

t.test('a malformed hello fails the handshake', async (t) => {
  const { a, b } = streamPair();
  a.on('error', () => {});
  const session = createNativeSession(b, {
    isInitiator: false,
    keyPair: keyPair(),
    hello: hello('us'),
    timeouts: timeouts(),
  });
  t.teardown(() => {
    session.destroy();
    a.destroy();
  });
  await once(a, 'handshake');
  const mux = new Protomux(a);
  mux.createChannel({ protocol: PROTOCOL, handshake: c.raw })?.open(Buffer.from([0xff, 0xff]));
  await t.rejects(session.ready, { code: 'ERR_BAD_FRAME' });
});

t.test('a flood of channel opens closes that session with a warning', async (t) => {
  const { session, mux } = await rawRemote(t);
  await session.ready;
  for (let i = 0; i < 1000; i++) mux.createChannel({ protocol: `flood/${i}` })?.open();
  await expectWarning(t, session, 'ERR_CHANNEL_FLOOD');
});

t.test('a nested batch is refused before protomux recurses into it', async (t) => {
  const { session, remote } = await rawRemote(t);
  await session.ready;
  // control frame, batch, channel 0, then an entry that is itself a batch
  remote.write(Buffer.from([0, 0, 0, 4, 0, 0, 1, 0]));
  await expectWarning(t, session, 'ERR_BAD_FRAME');
});

t.test(
  'deeply nested batches (which overflow protomux and crash the process) close only the session',
  async (t) => {
    const { session, remote } = await rawRemote(t);
    await session.ready;
    // each level: [batch control type 0][channel 0][entry length], wrapping the level inside it
    const parts: Buffer[] = [Buffer.from([0, 0])];
    let len = 2;
    while (len < 150_000) {
      const prefix =
        len < 0xfd
          ? [len]
          : len < 0x10000
            ? [0xfd, len & 255, len >>> 8]
            : [0xfe, len & 255, (len >>> 8) & 255, len >>> 16, 0];
      parts.push(Buffer.from([0, 0, ...prefix]));
      len += 2 + prefix.length;
    }
    const inner = Buffer.concat(parts.reverse());
    remote.write(Buffer.concat([Buffer.from([0]), inner]));
    await expectWarning(t, session, 'ERR_BAD_FRAME');
  },
);

t.test('zero-length frames are tolerated', async (t) => {
  const { session, remote, channels } = await rawRemote(t);
  await session.ready;
  remote.write(Buffer.alloc(0));
  remote.write(Buffer.alloc(0));
  const chat = waitFor<[{ text: string }]>(session, 'chat');
  channels[0]?.messages[m.MESSAGE_TYPES.chat]?.send(
    m.encode(m.chat, { id: 'z', ts: 1, text: 'after empties' }),
  );
  t.equal((await chat)[0].text, 'after empties');
  t.notOk(session.closed);
});

t.test('bad input on one session leaves the others alone', async (t) => {
  const good = pipePair();
  t.teardown(() => {
    good.a.destroy();
    good.b.destroy();
  });
  await Promise.all([good.a.ready, good.b.ready]);
  good.b.on('chat', (_c, ack) => ack());
  const { session, remote } = await rawRemote(t);
  await session.ready;
  remote.write(Buffer.from([7, 200, 1, 2, 3])); // unknown type on channel 7
  await expectWarning(t, session, 'ERR_UNKNOWN_MESSAGE');
  await good.a.sendChat({ id: 'still', ts: 1, text: 'fine' });
  t.pass('the other session still works');
});

t.test('inspect: no byte sequence throws; frames protomux writes pass', async (t) => {
  const fake = { on() {} } as unknown as SecretStream;
  const inspector = new MuxTransport(fake, { messageCount: m.MESSAGE_COUNT });
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      const err = inspector.inspect(bytes);
      return err === null || typeof err.code === 'string';
    }),
    { numRuns: 5000 },
  );
  // a batch of two chats and an open, as protomux encodes them
  const chat = m.encode(m.chat, { id: 'a', ts: 1, text: 'x' });
  const open = Buffer.concat([
    Buffer.from([1, 1]),
    Buffer.from([PROTOCOL.length]),
    Buffer.from(PROTOCOL),
    Buffer.from([0]),
  ]);
  const entry = (b: Buffer) => Buffer.concat([Buffer.from([b.byteLength]), b]);
  const batch = Buffer.concat([
    Buffer.from([0, 0, 1]),
    entry(Buffer.concat([Buffer.from([0]), chat])),
    entry(Buffer.concat([Buffer.from([0]), chat])),
    Buffer.from([0, 0]), // switch to channel 0
    entry(open),
  ]);
  t.equal(inspector.inspect(batch), null, 'a valid batch');
  t.equal(inspector.opens, 1, 'the open inside it was counted');
  t.equal(inspector.inspect(Buffer.from([1, m.MESSAGE_COUNT]))?.code, 'ERR_UNKNOWN_MESSAGE');
  t.equal(inspector.inspect(Buffer.from([0xfd, 1]))?.code, 'ERR_BAD_FRAME', 'a truncated varint');
  t.equal(MAX_CHANNEL_OPENS, 16);
});
