/**
 * Issue 15 #15: a classic frame read after its socket was reset is from the socket's IP, captured
 * when the connection was accepted, never 0.0.0.0. A raw socket against a real peerchat process.
 */
import { once } from 'node:events';
import { connect } from 'node:net';
import t from 'tap';
import { Cluster, LOOPBACK } from '../harness.js';

t.setTimeout(30_000);

t.test('a one-shot MESSAGE cut by a reset keeps its sender IP', async (t) => {
  const cluster = new Cluster(t);
  const target = await cluster.spawn({ name: 'target' });
  const port = Number(target.address.split(':')[1]);
  const TRIES = 40;
  for (let i = 0; i < TRIES; i++) {
    const s = connect(port, LOOPBACK);
    s.on('error', () => {});
    await once(s, 'connect');
    // the frame and the reset arrive together: the peer reads the frame after the reset
    s.write(`MESSAGE:resetter:5000:reset ${i}\n`, () => s.resetAndDestroy());
  }
  const probe = connect(port, LOOPBACK);
  probe.on('error', () => {});
  probe.end('MESSAGE:probe:5001:done\n');
  const done = await target.waitFor('message', (e) => e.text === 'done');
  t.equal(done.from, '127.0.0.1:5001', 'a frame that ends with its connection is from the socket IP');
  const froms = target.all('message', (e) => String(e.text).startsWith('reset ')).map((e) => String(e.from));
  t.comment(
    `${froms.length} of ${TRIES} reset frames were read (the rest: reset before they were accepted, dropped)`,
  );
  t.same(
    froms.filter((f) => f !== '127.0.0.1:5000'),
    [],
    'every frame read after a reset is from the socket IP captured at accept',
  );
});
