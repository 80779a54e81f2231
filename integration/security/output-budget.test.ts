/**
 * Issue 15 #4, at the process level: a native session that never reads makes the peer write
 * (refusals of its chats past its rate, answers to its peers requests) until the session's output
 * budget is passed; the peer closes that session with ERR_OUTPUT_BUDGET, its RSS stays bounded,
 * and an honest peer keeps being acked throughout. A raw native session against a real peerchat
 * process with many peers connected. The attacker's chats are refused (a low rate), so what is
 * measured is the output, not the cost of storing messages.
 */
import t from 'tap';
import { Cluster, until } from '../harness.js';
import { dialNative, encodeChat, encodePeersRequest, MSG, type RawNative } from '../native-client.js';

const CONNECTED = 30;
/** Chats with the longest id (128 bytes): each refusal is about 135 bytes the attacker never reads. */
const CHATS = 100_000;
const RATE = 100;
const MAX_RSS_GROWTH = 32 * 1024 * 1024;
const mib = (n: number) => (n / 2 ** 20).toFixed(0);

t.setTimeout(120_000);

t.test('a session that never reads is closed past its output budget; honest peers stay acked', async (t) => {
  const cluster = new Cluster(t);
  const target = await cluster.spawn({
    name: 'target',
    config: { limits: { maxInboundPerIp: 100, messagesPerSecond: RATE } },
  });
  const honest = await cluster.spawn({ name: 'honest' });
  const port = Number(target.address.split(':')[1]);
  const open: RawNative[] = [];
  t.teardown(() => {
    for (const r of open) r.socket.destroy();
  });
  for (let i = 0; i < CONNECTED; i++) {
    const r = await dialNative(port, { name: `peer-${i}-${'n'.repeat(50)}`, claimedPort: 24_000 + i });
    r.stream.setKeepAlive(1000);
    open.push(r);
  }
  const to = JSON.stringify(target.address);
  await honest.eval(`await peer.connect(${to})`);
  await until(
    async () => ((await target.eval('peer.connected().length')) as number) >= CONNECTED + 1,
    20_000,
    'the peers to connect',
  );
  const before = (await target.eval('process.memoryUsage().rss')) as number;

  const attacker = await dialNative(port, {
    name: 'reader-never',
    claimedPort: 25_000,
    capabilities: ['peerchat/1', 'refusal'],
  });
  open.push(attacker);
  await attacker.opened;
  attacker.stream.setKeepAlive(1000);
  attacker.socket.pause(); // never read
  const attackerKey = attacker.publicKey.toString('hex');
  const closed = target.waitFor('warning', (e) => e.code === 'ERR_OUTPUT_BUDGET', 60_000);
  const honestAcks: Promise<unknown>[] = [];
  let sent = 0;
  const budgetPassed = () => target.all('warning', (e) => e.code === 'ERR_OUTPUT_BUDGET').length > 0;
  for (let i = 0; i < CHATS && !attacker.stream.destroyed && !budgetPassed(); i++) {
    const id = `${String(i).padStart(8, '0')}-${'i'.repeat(119)}`;
    attacker.channel.messages[MSG.chat]!.send(encodeChat({ id, ts: Date.now(), text: 'x' }));
    if (i % 8 === 0) attacker.channel.messages[MSG.peersRequest]!.send(encodePeersRequest(i));
    sent++;
    if (i % 2000 === 1999) {
      // an honest send while the attack runs: acked, not queued behind the attacker
      honestAcks.push(honest.eval(`(await peer.send(${to}, "honest ${i}")).state`, 30_000));
      // paced by a round trip: the attack stops soon after the budget closed the session
      await target.eval('1');
    }
  }
  const warning = await closed;
  const shown = target.all('message', (e) => e.peer !== honest.address).length;
  t.comment(`after ${sent} chats (${shown} admitted): ${warning.message}`);
  t.match(warning.message, /the peer does not read: \d+ bytes unread, the budget is \d+; session closed/);
  await until(
    async () =>
      ((await target.eval(
        `peer.connected().filter((p) => p.key === ${JSON.stringify(attackerKey)}).length`,
      )) as number) === 0,
    10_000,
    'the attacker session to leave the table',
  );
  t.pass('the attacker session is gone from the table');
  const states = await Promise.all(honestAcks);
  t.ok(states.length > 0, `${states.length} honest sends during the attack`);
  t.ok(
    states.every((s) => s === 'acked'),
    `every honest send during the attack was acked (${states.join(', ')})`,
  );
  const afterSend = (await honest.eval(`(await peer.send(${to}, "honest after")).state`)) as string;
  t.equal(afterSend, 'acked', 'and after it');
  const after = (await target.eval('process.memoryUsage().rss')) as number;
  t.comment(`target RSS ${mib(before)} -> ${mib(after)} MiB`);
  t.ok(after - before < MAX_RSS_GROWTH, `RSS growth ${mib(after - before)} MiB < ${mib(MAX_RSS_GROWTH)} MiB`);
  const names = (await target.eval('peer.connected().map((p) => p.name)')) as string[];
  t.equal(
    names.filter((n) => n.startsWith('peer-')).length,
    CONNECTED,
    'every other peer is still connected',
  );
});
