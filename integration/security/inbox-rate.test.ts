/**
 * Issue 15 #6: per-peer rate limits in the inbox. An authenticated peer sending 2,000 chats at
 * once gets only what its token bucket allows acked; the rest is refused (not acked, not stored,
 * not shown), and another peer is still heard. A sender whose hello lists `refusal` is told, with a
 * wait; a peerchat sender keeps the refused queued, warns, and delivers them after the wait.
 * Raw native sessions and real peerchat processes.
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
  // flood once the target's Peer has the session: before that, chats past 256 are dropped (the
  // early-chat cap), which a loaded machine can make the whole flood
  await target.waitFor('peer-connected', (e) => e.name === 'flooder');
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

t.test('a sender that reads refusals is told, with a wait, for every chat refused', async (t) => {
  const cluster = new Cluster(t);
  const target = await cluster.spawn({ name: 'target', config: { limits: { messagesPerSecond: RATE } } });
  const port = Number(target.address.split(':')[1]);
  const r = await dialNative(port, {
    name: 'flooder',
    claimedPort: 23_001,
    capabilities: ['peerchat/1', 'refusal'],
  });
  t.teardown(() => r.socket.destroy());
  await r.opened;
  r.stream.setKeepAlive(1000);
  await target.waitFor('peer-connected', (e) => e.name === 'flooder');
  const n = 3000;
  for (let i = 0; i < n; i++) {
    r.channel.messages[MSG.chat]!.send(
      encodeChat({
        id: `01900000-0000-7000-8001-${String(i).padStart(12, '0')}`,
        ts: Date.now(),
        text: `f ${i}`,
      }),
    );
  }
  // the acked part waits for the target's store commits, which a loaded CI machine slows
  const answered = Date.now();
  await until(() => r.acks.length + r.refusals.length >= n, 60_000, 'an answer to every chat').catch(
    (err) => {
      throw new Error(`${err.message}: ${r.acks.length} acked, ${r.refusals.length} refused of ${n}`, {
        cause: err,
      });
    },
  );
  t.comment(`every chat answered in ${Date.now() - answered} ms`);
  t.comment(`${n} chats: ${r.acks.length} acked, ${r.refusals.length} refused`);
  t.ok(r.acks.length >= BURST, `the burst was acked (${r.acks.length})`);
  t.ok(r.refusals.length >= n / 2, `the rest was refused (${r.refusals.length})`);
  t.equal(r.acks.length + r.refusals.length, n, 'each chat got exactly one answer');
  t.ok(
    r.refusals.every((x) => x.reason === 1 && x.retryAfterMs >= 1 && x.retryAfterMs <= 5000),
    'every refusal says "rate limited" and a wait within a burst',
  );
  t.equal(new Set([...r.acks, ...r.refusals.map((x) => x.id)]).size, n, 'answers name the chats sent');
});

t.test(
  'peerchat to peerchat: the sender warns, keeps the refused queued and delivers them after the wait',
  async (t) => {
    const cluster = new Cluster(t);
    const slow = 5; // a burst of 25
    const target = await cluster.spawn({ name: 'target', config: { limits: { messagesPerSecond: slow } } });
    const sender = await cluster.spawn({ name: 'sender' });
    const to = JSON.stringify(target.address);
    await sender.eval(`await peer.connect(${to})`);
    const n = 40;
    const results = (await sender.eval(
      `await Promise.all(Array.from({ length: ${n} }, (_, i) => peer.send(${to}, "r " + i)))`,
      20_000,
    )) as { state: string; code?: string; error?: string }[];
    const refused = results.filter((x) => x.state === 'queued');
    t.comment(
      `${n} sends: ${results.filter((x) => x.state === 'acked').length} acked, ${refused.length} queued`,
    );
    t.ok(
      refused.length >= n - slow * 5 - slow * 2,
      `past the burst the sends stay queued (${refused.length})`,
    );
    t.ok(
      refused.every((x) => x.code === 'ERR_RATE_LIMITED' && /over its rate limit/.test(x.error ?? '')),
      'each with ERR_RATE_LIMITED and why',
    );
    await sender.waitFor('warning', (e) => e.code === 'ERR_RATE_LIMITED', 5000);
    t.pass('the sender warns');
    await until(
      () => sender.all('message-delivered').length >= refused.length,
      30_000,
      'the refused ones delivered',
    );
    await until(
      () => target.all('message', (e) => String(e.text).startsWith('r ')).length >= n,
      10_000,
      'all shown on the target',
    );
    const all = target.all('message', (e) => String(e.text).startsWith('r ')).map((e) => String(e.text));
    t.equal(new Set(all).size, n, `each of the ${n} shown`);
    t.equal(all.length, n, 'none twice');
    t.same(await sender.eval('peer.outbox().length'), 0, "the sender's outbox is empty");
  },
);
