/**
 * Issue 15 #13 (process part): an unhandled rejection (here left by a plugin hook) or an uncaught
 * exception never ends the process unexplained. The peer logs a coded error with the cause, tells
 * its peers goodbye (EXIT) and exits with code 1.
 */
import t from 'tap';
import { Cluster } from '../harness.js';

t.test('a plugin leaving an unhandled rejection: coded error, clean shutdown, exit 1', async (t) => {
  const cluster = new Cluster(t);
  const plugin = cluster.file(
    'leaky.mjs',
    `export default {
  name: 'leaky',
  setup: () => ({
    onMessage() {
      // fire and forget, the mistake this test is about
      Promise.reject(new Error('leaked rejection from a hook'));
    },
  }),
};
`,
  );
  const victim = await cluster.spawn({ name: 'victim', plugins: [plugin] });
  const friend = await cluster.spawn({ name: 'friend', connect: [victim.address] });
  // the session is up on both sides before the hook runs: its EXIT then reaches an attached peer
  await friend.waitFor('peer-connected', (e) => e.name === 'victim');
  const going = friend.waitFor('peer-disconnected', (e) => e.name === 'victim');
  await friend.eval(`await peer.send(${JSON.stringify(victim.address)}, "trigger", { wait: false })`);
  const gone = await going;
  const exit = await victim.waitExit();
  t.equal(exit.exitCode, 1, 'exit code 1');
  const said = [...victim.stderr, ...victim.events.map((e) => JSON.stringify(e))].join('\n');
  t.match(said, /ERR_UNHANDLED_REJECTION/, 'a coded error');
  t.match(said, /leaked rejection from a hook/, 'with its cause');
  t.equal(gone.reason, 'exit', 'the peer said goodbye: a clean shutdown, not a crash');
});

t.test('a plugin throwing in its own timer: coded error, clean shutdown, exit 1', async (t) => {
  const cluster = new Cluster(t);
  const plugin = cluster.file(
    'thrower.mjs',
    `export default {
  name: 'thrower',
  setup: () => ({
    onMessage() {
      // outside any hook's try: nothing catches this but the process
      setTimeout(() => { throw new Error('thrown from a plugin timer'); }, 1);
    },
  }),
};
`,
  );
  const victim = await cluster.spawn({ name: 'victim', plugins: [plugin] });
  const friend = await cluster.spawn({ name: 'friend', connect: [victim.address] });
  await friend.waitFor('peer-connected', (e) => e.name === 'victim');
  const going = friend.waitFor('peer-disconnected', (e) => e.name === 'victim');
  await friend.eval(`await peer.send(${JSON.stringify(victim.address)}, "trigger", { wait: false })`);
  const gone = await going;
  const exit = await victim.waitExit();
  t.equal(exit.exitCode, 1, 'exit code 1');
  const said = [...victim.stderr, ...victim.events.map((e) => JSON.stringify(e))].join('\n');
  t.match(said, /ERR_UNCAUGHT_EXCEPTION/, 'a coded error');
  t.match(said, /thrown from a plugin timer/, 'with its cause');
  t.equal(gone.reason, 'exit', 'the peer said goodbye (EXIT), not a dropped connection');
});
