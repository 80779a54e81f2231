/**
 * Session 17: keys cost nothing, so native sessions with throwaway keys from a few IPs could take
 * every inbound slot and lock out each new peer. With the slots full, a source holding more than
 * its fair share of native sessions gives up its oldest one for a newcomer; a quiet peer that
 * connected first from its own IP keeps its session. Real processes, `limits.maxInbound` 12.
 */
import t from 'tap';
import { Cluster } from '../harness.js';
import { dialNative, type RawNative } from '../native-client.js';

const MAX_INBOUND = 12;

t.setTimeout(60_000);

t.test('throwaway native sessions from two IPs cannot lock a new peer out', async (t) => {
  const cluster = new Cluster(t);
  const target = await cluster.spawn({
    name: 'target',
    config: { limits: { maxInbound: MAX_INBOUND }, timeouts: { session: 60_000 } },
  });
  // the raw hogs send no keepalive: a long session timeout keeps them as an attacker's would stay
  const port = Number(target.address.split(':')[1]);
  await cluster.spawn({ name: 'quiet', connect: [target.address] });
  await target.waitFor('peer-connected', (e) => e.name === 'quiet');

  const hogs: RawNative[] = [];
  t.teardown(() => {
    for (const h of hogs) h.socket.destroy();
  });
  // every other slot: sessions that complete the handshake with a fresh key each
  for (let i = 0; i < MAX_INBOUND - 1; i++) {
    const r = await dialNative(port, {
      name: `hog${i}`,
      claimedPort: 30_000 + i,
      localAddress: i % 2 === 0 ? '127.0.0.2' : '127.0.0.3',
    });
    await r.opened;
    hogs.push(r);
  }
  await target.waitFor('peer-connected', (e) => e.name === `hog${MAX_INBOUND - 2}`);

  const newcomer = await cluster.spawn({ name: 'newcomer', connect: [target.address] });
  await newcomer.waitFor('peer-connected', (e) => e.name === 'target', 10_000);
  await target.waitFor('peer-connected', (e) => e.name === 'newcomer');
  t.ok(
    target
      .all('warning')
      .some((w) => /closed the oldest native session of 127\.0\.0\.[23]/.test(String(w.message))),
    'a hog from the busiest source made room',
  );
  const connected = (await target.eval('peer.connected().map((p) => p.name)')) as string[];
  t.ok(connected.includes('quiet'), 'the quiet peer that came first keeps its session');
  t.ok(connected.includes('newcomer'));
});
