/**
 * Scenario 4: a peer dies without EXIT. Killed with SIGKILL, its sockets close and the others
 * report reason "lost"; frozen with SIGSTOP, its sockets stay open and only the keepalive can
 * tell, within the session timeout. Short timeouts come from a config file.
 */
import t, { type Test } from 'tap';
import { Cluster, connectedAddresses, type PeerProcess } from './harness.js';

const TIMEOUTS = { keepAlive: 300, session: 1500 };
/** Scheduling slack on a busy 2-core box, on top of the session timeout. */
const SLACK_MS = 1000;
const PEERS = 3;

t.setTimeout(45_000);

async function dies(t: Test, signal: 'SIGKILL' | 'SIGSTOP') {
  const cluster = new Cluster(t);
  const peers = await cluster.mesh(PEERS, () => ({ config: { timeouts: TIMEOUTS } }));
  const [victim, ...rest] = peers as [PeerProcess, ...PeerProcess[]];
  const deadline = TIMEOUTS.session + SLACK_MS;
  const seen = rest.map((p) => p.next('peer-disconnected', (e) => e.peer === victim.address, deadline * 3));
  const started = Date.now();
  victim.kill(signal);
  const results = await Promise.all(seen.map(async (s) => ({ e: await s, ms: Date.now() - started })));
  for (const [i, { e, ms }] of results.entries()) {
    const p = rest[i]!;
    t.equal(e.reason, 'lost', `${p.name} saw reason "lost"`);
    t.ok(ms <= deadline, `${p.name} saw it within the session timeout + slack (${ms} ms <= ${deadline} ms)`);
    t.notOk((await connectedAddresses(p)).includes(victim.address), `${p.name} dropped it from connected()`);
  }
  t.comment(`${signal}: lost seen after ${results.map((r) => r.ms).join(', ')} ms`);
  // the survivors still talk to each other
  const [a, b] = rest as [PeerProcess, PeerProcess];
  await a.eval(`await peer.send(${JSON.stringify(b.address)}, "still here")`);
  await b.waitFor('message', (e) => e.text === 'still here' && e.from === a.address);
  t.pass('the survivors still chat');
  if (signal === 'SIGSTOP') victim.kill('SIGKILL');
  const exit = await victim.waitExit();
  t.equal(exit.signal, 'SIGKILL', 'the victim died by SIGKILL');
}

t.test('SIGKILL: the others report "lost"', (t) => dies(t, 'SIGKILL'));
t.test('SIGSTOP: the keepalive reports "lost" within the session timeout', (t) => dies(t, 'SIGSTOP'));
