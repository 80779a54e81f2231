/**
 * The real binary, store on and default config, starts and exits cleanly ten times in a row on
 * the Node running the suite (24 in CI): exit code 0 and no signal, so no SIGABRT at exit
 * (better-sqlite3 up to 12 aborted there on Node 24).
 */
import t from 'tap';
import { Cluster, type PeerProcess } from './harness.js';

const RUNS = 10;
const EXIT_MS = 10_000;

t.setTimeout(180_000);

/** Three ways out, taken in turn: `peer.quit()`, SIGTERM, and the end of piped input. */
const WAYS: Record<string, (p: PeerProcess) => void> = {
  quit: (p) => void p.quit(EXIT_MS).catch(() => {}),
  SIGTERM: (p) => p.kill('SIGTERM'),
  'end of input': (p) => p.endInput(),
};

t.test(`bin/peerchat on Node ${process.versions.node} exits cleanly ${RUNS} times in a row`, async (t) => {
  const cluster = new Cluster(t);
  const ways = Object.keys(WAYS);
  for (let i = 0; i < RUNS; i++) {
    const way = ways[i % ways.length]!;
    const p = await cluster.spawn({ name: `run${i + 1}` });
    // the store is open and answering (its statements are live) when the process ends
    t.match(await p.eval('peer.history().length'), 0, `run ${i + 1}: the store answers`);
    WAYS[way]!(p);
    const exit = await p.waitExit(EXIT_MS);
    t.same(exit, { exitCode: 0, signal: undefined }, `run ${i + 1} (${way}): exit code 0, no signal`);
    t.notMatch(p.stderr.join('\n'), /Assertion failed|SIGABRT|core dumped/, `run ${i + 1}: no abort`);
  }
});
