/**
 * Issue 15 #6: per-peer rate limits in the inbox. An authenticated peer sending 2,000 chats at
 * once gets only what its token bucket allows acked; the rest is refused (not acked, not stored,
 * not shown), and another peer is still heard. A raw native session against a real peerchat process.
 */
import t from 'tap';
import { Cluster, until } from '../harness.js';
import { dialNative, encodeChat, MSG } from '../native-client.js';

const FLOOD = 5000;
/** The target's limit here: 200 messages a second, a burst of 5 seconds worth (the default allows more). */
const RATE = 200;
const BURST = RATE * 5;

t.setTimeout(60_000);

t.test('a chat flood from one key is refused past its rate, another peer is still heard', async (t) => {
  const cluster = new Cluster(t);
  const target = await cluster.spawn({ name: 'target', config: { limits: { messagesPerSecond: RATE } } });
  const friend = await cluster.spawn({ name: 'friend' });
  const port = Number(target.address.split(':')[1]);
  const r = await dialNative(port, { name: 'flooder', claimedPort: 23_000 });
  t.teardown(() => r.socket.destroy());
  await r.opened;
  r.stream.setKeepAlive(1000);
  const started = Date.now();
  for (let i = 0; i < FLOOD; i++) {
    r.channel.messages[MSG.chat]!.send(
      encodeChat({
        id: `01900000-0000-7000-8000-${String(i).padStart(12, '0')}`,
        ts: Date.now(),
        text: `flood ${i}`,
      }),
    );
  }
  await friend.eval(`await peer.send(${JSON.stringify(target.address)}, "still heard")`);
  await target.waitFor('message', (e) => e.text === 'still heard');
  // the acks of what was admitted arrive before the friend's message is acked back... give them a round trip
  await until(() => r.acks.length > 0, 10_000, 'the first acks');
  const seconds = (Date.now() - started) / 1000;
  const shown = target.all('message', (e) => String(e.text).startsWith('flood ')).length;
  t.comment(`${FLOOD} chats in ${seconds.toFixed(1)} s: ${r.acks.length} acked, ${shown} shown`);
  t.ok(r.acks.length < FLOOD / 2, `most of the flood was not acked (${r.acks.length} of ${FLOOD})`);
  t.ok(r.acks.length >= BURST, `the burst was admitted (${r.acks.length} >= ${BURST})`);
  t.equal(shown, r.acks.length, 'exactly the acked chats were shown');
  t.ok(target.all('warning', (e) => e.code === 'ERR_RATE_LIMITED').length > 0, 'the refusal is a warning');
});
