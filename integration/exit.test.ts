/**
 * Scenario 3: a peer quits gracefully (peer.quit() on stdin, and SIGTERM). Every other peer
 * reports `peer-disconnected` with reason "exit" within 1 s and drops it from its connected list.
 */
import t, { type Test } from 'tap';
import { Cluster, connectedAddresses, type PeerProcess } from './harness.js';

const PEERS = 4;
const EXIT_SEEN_MS = 1000;

t.setTimeout(45_000);

/** A full mesh, checked through each peer's connected list. */
async function mesh(t: Test, cluster: Cluster, n: number): Promise<PeerProcess[]> {
  const peers = await cluster.mesh(n);
  for (const p of peers) {
    const want = peers
      .filter((q) => q !== p)
      .map((q) => q.address)
      .sort();
    t.same(await connectedAddresses(p), want, `${p.name} is connected to every other peer`);
  }
  return peers;
}

async function leaves(t: Test, how: 'quit' | 'SIGTERM') {
  const cluster = new Cluster(t);
  const peers = await mesh(t, cluster, PEERS);
  const [leaver, ...rest] = peers as [PeerProcess, ...PeerProcess[]];
  const seen = rest.map((p) =>
    p.next('peer-disconnected', (e) => e.peer === leaver.address, EXIT_SEEN_MS * 5),
  );
  const started = Date.now();
  if (how === 'quit') void leaver.quit().catch(() => {});
  else leaver.kill('SIGTERM');
  const events = await Promise.all(
    seen.map(async (s) => {
      const e = await s;
      return { e, ms: Date.now() - started };
    }),
  );
  for (const [i, { e, ms }] of events.entries()) {
    const p = rest[i]!;
    t.equal(e.reason, 'exit', `${p.name} saw reason "exit"`);
    t.equal(e.name, leaver.name, `${p.name} names the peer that left`);
    t.ok(ms <= EXIT_SEEN_MS, `${p.name} saw it within ${EXIT_SEEN_MS} ms (${ms} ms)`);
    t.notOk((await connectedAddresses(p)).includes(leaver.address), `${p.name} dropped it from connected()`);
  }
  const exit = await leaver.waitExit();
  t.equal(exit.exitCode, 0, `the leaving peer exits with code 0 after ${how}`);
  // the others are still connected among themselves
  for (const p of rest) {
    const want = rest
      .filter((q) => q !== p)
      .map((q) => q.address)
      .sort();
    t.same(await connectedAddresses(p), want, `${p.name} keeps its other sessions`);
    t.same(p.all('peer-disconnected').length, 1, `${p.name} saw exactly one disconnect`);
  }
}

t.test('peer.quit() sends EXIT to every peer', (t) => leaves(t, 'quit'));
t.test('SIGTERM ends gracefully with EXIT to every peer', (t) => leaves(t, 'SIGTERM'));
