import type SecretStream from '@hyperswarm/secret-stream';
import type Protomux from 'protomux';
import t, { type Test } from 'tap';
import * as m from '../../src/net/native/messages.js';
import { MAX_CHANNEL_OPENS, MuxTransport } from '../../src/net/native/mux-transport.js';
import { createNativeSession, type NativeSession, PROTOCOL } from '../../src/net/native/session.js';
import {
  ANNOUNCE_PROTOCOL,
  announceChannelId,
  MAX_ANNOUNCED_AUTHORS,
  MAX_ROOM_OFFERS,
  RoomChannels,
  RoomLog,
} from '../../src/rooms/log/index.js';
import { until } from '../helpers/wait.js';
import { hello, keyPair, rawRemote, streamPair, timeouts, waitFor } from '../net/native/helpers.js';
import { TOPIC, tempDir, waitForSize } from './log-helpers.js';

const ROOM_ID = announceChannelId(TOPIC);
const joined = (hex: string) => hex === ROOM_ID.toString('hex');

/** An open frame as protomux writes it: control, open, id, protocol, channel id. */
function openFrame(localId: number, protocol: string, id: Buffer | null): Buffer {
  const p = Buffer.from(protocol);
  const i = id ?? Buffer.alloc(0);
  return Buffer.concat([Buffer.from([0, 1, localId, p.byteLength]), p, Buffer.from([i.byteLength]), i]);
}

function inspector(): MuxTransport {
  const fake = { on() {} } as unknown as SecretStream;
  return new MuxTransport(fake, { messageCount: m.MESSAGE_COUNT, channels: new RoomChannels(joined) });
}

t.test('message types are checked per channel, learned from each open', async (t) => {
  const x = inspector();
  t.equal(x.inspect(openFrame(1, PROTOCOL, null)), null);
  t.equal(x.inspect(Buffer.from([1, m.MESSAGE_COUNT - 1])), null, 'peerchat/1 keeps its own types');
  t.equal(x.inspect(Buffer.from([1, m.MESSAGE_COUNT]))?.code, 'ERR_UNKNOWN_MESSAGE', 'and stays strict');
  t.equal(x.inspect(openFrame(2, 'other/9', null)), null, 'an unknown protocol may open');
  t.equal(x.inspect(Buffer.from([2, 0]))?.code, 'ERR_UNKNOWN_MESSAGE', 'but nothing may flow on it');
  t.equal(x.inspect(Buffer.from([9, 6]))?.code, 'ERR_UNKNOWN_MESSAGE', 'an id never opened is strict');
});

t.test('a hypercore channel is refused on a connection that carries no joined room', async (t) => {
  const x = inspector();
  const err = x.inspect(openFrame(1, 'hypercore/alpha', Buffer.alloc(32, 7)));
  t.equal(err?.code, 'ERR_CHANNEL_REFUSED');
  const y = inspector();
  t.equal(y.inspect(openFrame(1, ANNOUNCE_PROTOCOL, Buffer.alloc(32, 1))), null, 'another room: tolerated');
  t.equal(y.inspect(Buffer.from([1, 0]))?.code, 'ERR_UNKNOWN_MESSAGE', 'nothing flows on it');
  t.equal(
    y.inspect(openFrame(2, 'hypercore/alpha', Buffer.alloc(32, 7)))?.code,
    'ERR_CHANNEL_REFUSED',
    'a room this peer did not join carries nothing',
  );
});

t.test('a joined room carries its hypercore channels, each with its 10 message types', async (t) => {
  const x = inspector();
  t.equal(x.inspect(openFrame(1, ANNOUNCE_PROTOCOL, ROOM_ID)), null);
  t.equal(x.inspect(Buffer.from([1, 0])), null, 'an announce');
  t.equal(x.inspect(Buffer.from([1, 1]))?.code, 'ERR_UNKNOWN_MESSAGE', 'the announce channel has one type');
  t.equal(x.inspect(openFrame(2, 'hypercore/alpha', Buffer.alloc(32, 7))), null);
  t.equal(x.inspect(Buffer.from([2, 9])), null, 'hypercore extension (type 9)');
  t.equal(x.inspect(Buffer.from([2, 10]))?.code, 'ERR_UNKNOWN_MESSAGE');
  t.equal(x.inspect(Buffer.from([0, 3, 2])), null, 'a close');
  t.equal(x.inspect(Buffer.from([2, 9]))?.code, 'ERR_UNKNOWN_MESSAGE', 'closed: strict again');
});

t.test('channel opens stay bounded by rooms × authors', async (t) => {
  const bare = new MuxTransport({ on() {} } as unknown as SecretStream, { messageCount: m.MESSAGE_COUNT });
  let err = null;
  for (let i = 1; i <= MAX_CHANNEL_OPENS + 1 && !err; i++) err = bare.inspect(openFrame(i, `x/${i}`, null));
  t.equal(err?.code, 'ERR_CHANNEL_FLOOD', 'a session without rooms: 16');

  const x = inspector();
  const bound = MAX_CHANNEL_OPENS + 1 + MAX_ANNOUNCED_AUTHORS;
  t.equal(x.inspect(openFrame(1, ANNOUNCE_PROTOCOL, ROOM_ID)), null);
  const big = (id: number) => {
    const p = Buffer.from('hypercore/alpha');
    const v = Buffer.from([0xfd, id & 255, id >>> 8]);
    return Buffer.concat([
      Buffer.from([0, 1]),
      v,
      Buffer.from([p.byteLength]),
      p,
      Buffer.from([32]),
      Buffer.alloc(32, id & 255),
    ]);
  };
  for (let id = 2; id <= bound; id++) {
    const e = x.inspect(big(id));
    if (e) return t.fail(`open ${id} refused: ${e.message}`);
  }
  t.equal(x.inspect(big(bound + 1))?.code, 'ERR_CHANNEL_FLOOD', `one room: ${bound} at once`);
  // closing one makes room for one
  const y = inspector();
  y.inspect(openFrame(1, ANNOUNCE_PROTOCOL, ROOM_ID));
  for (let id = 2; id <= bound; id++) y.inspect(big(id));
  t.equal(y.inspect(Buffer.from([0, 3, 0xfd, 2, 0])), null);
  t.equal(y.inspect(big(2)), null, 'an id reused after its close');
});

/** Our session with the room policy on one end, a hand-driven protomux on the other. */
async function roomRemote(t: Test): Promise<{ session: NativeSession; mux: Protomux }> {
  const { session, mux } = await rawRemote(t, { channels: new RoomChannels(joined) });
  await session.ready;
  return { session, mux };
}

t.test('a session fails with ERR_CHANNEL_REFUSED when a stranger opens a hypercore channel', async (t) => {
  const { session, mux } = await roomRemote(t);
  const warning = waitFor<[{ code: string }]>(session, 'warning');
  mux.createChannel({ protocol: 'hypercore/alpha', id: Buffer.alloc(32, 3) })?.open();
  t.equal((await warning)[0].code, 'ERR_CHANNEL_REFUSED');
  t.ok(session.closed, 'the session is closed');
});

t.test('two room logs replicate over two native sessions’ own protomux', async (t) => {
  const { a, b } = streamPair();
  const mk = (s: SecretStream, initiator: boolean, name: string) =>
    createNativeSession(s, {
      isInitiator: initiator,
      keyPair: keyPair(),
      hello: hello(name),
      timeouts: timeouts(),
      channels: new RoomChannels(joined),
    });
  const sa = mk(a, true, 'alice');
  const sb = mk(b, false, 'bob');
  await Promise.all([sa.ready, sb.ready]);
  const la = await RoomLog.open({ dataDir: tempDir(), topic: TOPIC });
  const lb = await RoomLog.open({ dataDir: tempDir(), topic: TOPIC });
  t.teardown(async () => {
    sa.destroy();
    sb.destroy();
    await la.close();
    await lb.close();
  });
  const warnings: string[] = [];
  sa.on('warning', (w) => warnings.push(w.code));
  sb.on('warning', (w) => warnings.push(w.code));
  la.replicate(sa.mux as Protomux);
  lb.replicate(sb.mux as Protomux);
  for (let i = 0; i < 50; i++) await la.append(`a${i}`, { name: 'alice' });
  await lb.append('from b', { name: 'bob' });
  await waitForSize(lb, 51);
  await waitForSize(la, 51);
  t.same(
    (await lb.entries()).filter((e) => e.author === la.key).map((e) => e.text),
    Array.from({ length: 50 }, (_, i) => `a${i}`),
  );
  const chat = waitFor<[{ text: string }]>(sb, 'chat');
  sb.on('chat', (_c, ack) => ack());
  await sa.sendChat({ id: 'x1', ts: 1, text: 'chat still works' });
  t.equal((await chat)[0].text, 'chat still works', 'peerchat/1 still flows beside the logs');
  t.same(warnings, [], 'no warning');
  t.notOk(sa.closed || sb.closed);
});

t.test('rooms offered but not joined get slots of their own, bounded', async (t) => {
  const x = inspector();
  t.equal(x.inspect(openFrame(1, PROTOCOL, null)), null);
  const offer = (i: number) => {
    const id = Buffer.alloc(32, 0);
    id.writeUInt16BE(i + 1);
    const p = Buffer.from(ANNOUNCE_PROTOCOL);
    const v = Buffer.from([0xfd, i & 255, i >>> 8]);
    return Buffer.concat([Buffer.from([0, 1]), v, Buffer.from([p.byteLength]), p, Buffer.from([32]), id]);
  };
  const fits = MAX_CHANNEL_OPENS + MAX_ROOM_OFFERS - 1; // beside peerchat/1
  for (let i = 2; i <= fits + 1; i++) {
    const e = x.inspect(offer(i));
    if (e) return t.fail(`offer ${i} refused: ${e.message}`);
  }
  t.equal(x.inspect(offer(fits + 2))?.code, 'ERR_CHANNEL_FLOOD', `${fits} offers, then no more`);
});

t.test('a room offered before the remote joined it replicates once the remote joins', async (t) => {
  const { a, b } = streamPair();
  const bJoined = new Set<string>();
  const mk = (s: SecretStream, initiator: boolean, name: string, has: (hex: string) => boolean) =>
    createNativeSession(s, {
      isInitiator: initiator,
      keyPair: keyPair(),
      hello: hello(name),
      timeouts: timeouts(),
      channels: new RoomChannels(has),
    });
  const sa = mk(a, true, 'alice', joined);
  const sb = mk(b, false, 'bob', (hex) => bJoined.has(hex));
  await Promise.all([sa.ready, sb.ready]);
  const warnings: string[] = [];
  sa.on('warning', (w) => warnings.push(w.code));
  sb.on('warning', (w) => warnings.push(w.code));
  const la = await RoomLog.open({ dataDir: tempDir(), topic: TOPIC });
  t.teardown(async () => {
    sa.destroy();
    sb.destroy();
    await la.close();
  });
  await la.append('said before bob joined', { name: 'alice' });
  t.equal(la.offer(sa.mux as Protomux), true, 'offered');
  // bob is not in the room: it rejects the offer (and would refuse any hypercore channel)
  const open = la as unknown as { sessions: Map<unknown, unknown> };
  await until(() => open.sessions.size === 0, 5000, 'the offer rejected');
  t.equal(la.offer(sa.mux as Protomux), false, 'offered once per connection');
  t.same(
    la.members().filter((x) => x.online && x.key !== la.key),
    [],
    'nobody paired',
  );

  bJoined.add(ROOM_ID.toString('hex'));
  const lb = await RoomLog.open({ dataDir: tempDir(), topic: TOPIC });
  t.teardown(() => lb.close());
  lb.offer(sb.mux as Protomux); // bob joins: alice's pairing answers his open
  await waitForSize(lb, 1);
  t.equal((await lb.entries())[0]?.text, 'said before bob joined');
  await lb.append('live from bob', { name: 'bob' });
  await waitForSize(la, 2);
  t.same(warnings, [], 'no warning: no hypercore channel reached bob before he joined');
  t.notOk(sa.closed || sb.closed, 'the sessions stay up');
});
