/**
 * Issue 15 #10: a classic QUERY gets no PEERLIST from a peer with classic off, nor from one with
 * an allow list (a classic query has no key to check). Raw sockets against real peerchat processes.
 */
import { connect } from 'node:net';
import t from 'tap';
import { Cluster, LOOPBACK } from '../harness.js';

t.setTimeout(60_000);

/** Send QUERY on a raw socket; resolves with what came back before the peer closed it. */
function query(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, LOOPBACK);
    let got = '';
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`the peer neither answered nor closed within 10 s (got ${JSON.stringify(got)})`));
    }, 10_000);
    s.on('error', () => {});
    s.on('data', (b) => {
      got += b.toString();
      // an answer: the attack worked
      if (got.includes('\n')) s.destroy();
    });
    s.on('close', () => {
      clearTimeout(timer);
      resolve(got);
    });
    s.write('QUERY');
  });
}

for (const [label, config] of [
  ['classic off', { classic: false }],
  ['an allow list', { allow: ['a'.repeat(64)] }],
] as const) {
  t.test(`no PEERLIST for a stranger from a peer with ${label}`, async (t) => {
    const cluster = new Cluster(t);
    const target = await cluster.spawn({ name: 'target', config });
    const friend = await cluster.spawn({ name: 'friend' });
    if (!('allow' in config)) await friend.eval(`await peer.connect(${JSON.stringify(target.address)})`);
    const port = Number(target.address.split(':')[1]);
    const answer = await query(port);
    t.equal(answer, '', `no answer (got ${JSON.stringify(answer)})`);
    await target.waitFor('warning', (e) => e.code === 'ERR_CLASSIC_REFUSED' || e.code === 'ERR_NOT_ALLOWED');
  });
}
