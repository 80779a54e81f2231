/**
 * An autoConnect peer that stays down: the first failed attempts are each reported, then one
 * warning says the retries go on quietly, and later attempts (seen at the socket) say nothing.
 */
import { createServer, type Socket } from 'node:net';
import t from 'tap';
import { Cluster, LOOPBACK } from './harness.js';

const ATTEMPTS_SEEN = 5; // two more than are reported
const DEADLINE_MS = 30_000;

t.setTimeout(60_000);

t.test('a peer that is down: a few warnings, one "still trying", then quiet', async (t) => {
  // accepts and drops every connection: each attempt fails, and is counted here
  const sockets: Socket[] = [];
  let attempts = 0;
  let onAttempt = () => {};
  const server = createServer((s) => {
    attempts++;
    sockets.push(s);
    s.destroy();
    onAttempt();
  });
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as { port: number };
  const down = `${LOOPBACK}:${port}`;

  const cluster = new Cluster(t);
  const peer = await cluster.spawn({ name: 'keen', connect: [down] });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`only ${attempts} attempts in ${DEADLINE_MS} ms`)),
      DEADLINE_MS,
    );
    onAttempt = () => {
      if (attempts < ATTEMPTS_SEEN) return;
      clearTimeout(timer);
      resolve();
    };
    onAttempt();
  });
  // the warning of the attempt just counted is printed after its failure: wait for the third one
  await peer.waitFor('warning', (e) => /still trying/.test(String(e.message)), DEADLINE_MS);
  const warnings = peer.all('warning', (e) => String(e.message).includes(`autoConnect ${down}`));
  t.equal(warnings.length, 3, `${attempts} attempts, 3 warnings`);
  t.match(warnings[0], { message: /attempt 1 failed .*; retrying in \d+\.\d s$/ });
  t.match(warnings[2], {
    message: /attempt 3 failed .*; still trying, at most every 30 s, without further warnings$/,
  });
});
