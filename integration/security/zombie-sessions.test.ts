/**
 * Issue 15 #5: a native session that closes before the peer attaches it (hello and EXIT, or hello
 * and a malformed chat, in one protomux batch right after the handshake) must never show as
 * connected. Raw sockets against a real peerchat process.
 */
import { once } from 'node:events';
import t from 'tap';
import { Cluster } from '../harness.js';
import { dialNative, encodeChat, MSG } from '../native-client.js';

const SESSIONS = 30;
const CLOSE_DEADLINE_MS = 5000;

t.setTimeout(60_000);

t.test('sessions that close inside the opening batch never stay connected', async (t) => {
  const cluster = new Cluster(t);
  const target = await cluster.spawn({ name: 'target' });
  const port = Number(target.address.split(':')[1]);
  for (let i = 0; i < SESSIONS; i++) {
    const badChat = i % 2 === 1;
    const r = await dialNative(port, {
      name: `z${i}`,
      claimedPort: 20_000 + i,
      corkWith: (raw) => {
        if (badChat)
          raw.channel.messages[MSG.chat]!.send(encodeChat({ id: 'x'.repeat(129), ts: 1, text: 'hi' }));
        else raw.channel.messages[MSG.exit]!.send(Buffer.alloc(0));
      },
    });
    // the peer closes each of them (EXIT answered, or the bad frame refused)
    const timer = setTimeout(() => r.socket.destroy(), CLOSE_DEADLINE_MS);
    if (!r.socket.destroyed) await once(r.socket, 'close');
    clearTimeout(timer);
  }
  // a last honest-looking session, to know the peer processed everything before it
  const probe = await dialNative(port, { name: 'probe', claimedPort: 30_000 });
  await probe.opened;
  await target.waitFor('peer-connected', (e) => e.peer === '127.0.0.1:30000');
  const connected = (await target.eval(
    'peer.connected().map((p) => p.address).filter((a) => a !== "127.0.0.1:30000")',
  )) as string[];
  t.same(connected, [], `no zombie: ${connected.length} closed sessions still shown connected`);
  const connects = target.all('peer-connected').length - 1;
  const disconnects = target.all('peer-disconnected').length;
  t.equal(connects, disconnects, `every connect was followed by one disconnect (${connects}/${disconnects})`);
  probe.socket.destroy();
});
