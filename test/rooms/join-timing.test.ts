/**
 * Join -> all pairs connected, for 2, 5 and 10 Rooms instances in one process, inside the
 * loopback-only namespace with a 10-node testnet. Asserts every pair connects in time and
 * reports the times as comments (the bench row lives in bench/).
 */
import { netnsTest, type Tap } from '../../integration/helpers/netns.js';

await netnsTest(import.meta.url, main);

async function main(t: Tap): Promise<void> {
  const { startTestnet } = await import('../../integration/helpers/netns.js');
  const { allPairs, makePeer, waitFor } = await import('./helpers.js');

  const SIZES = [2, 5, 10];
  // one run keeps the suite short; ROOMS_TIMING_RUNS=3 for a median
  const RUNS = Math.max(1, Number(process.env.ROOMS_TIMING_RUNS) || 1);
  const DEADLINE_MS = 20_000;

  t.setTimeout(180_000);
  const testnet = await startTestnet();
  t.teardown(() => testnet.destroy());
  const bootstrap = testnet.bootstrap.map((n) => `${n.host}:${n.port}`);

  const measure = async (n: number, room: string, firewalledFalse: boolean): Promise<number> => {
    const peers = await Promise.all(
      Array.from({ length: n }, () => makePeer(bootstrap, firewalledFalse ? {} : { testOnly: undefined })),
    );
    try {
      const start = Date.now();
      await Promise.all(peers.map((p) => p.rooms.join(room)));
      await waitFor(() => allPairs(peers), DEADLINE_MS, `all pairs of ${n}`);
      return Date.now() - start;
    } finally {
      await Promise.all(peers.map((p) => p.rooms.destroy()));
    }
  };

  for (const [label, firewalledFalse] of [
    ['testOnly firewalled:false', true],
    ['default (watchdog 1 s)', false],
  ] as const) {
    t.test(label, async (t) => {
      for (const n of SIZES) {
        const times: number[] = [];
        for (let run = 0; run < RUNS; run++) {
          times.push(await measure(n, `timing-${label}-${n}-${run}`, firewalledFalse));
        }
        times.sort((x, y) => x - y);
        const median = times[Math.floor(times.length / 2)];
        t.ok(
          times.every((ms) => ms < DEADLINE_MS),
          `${n} peers: join -> all pairs ${times.join(' / ')} ms (median ${median})`,
        );
      }
    });
  }
}
