/**
 * Issue 15 #13 (process part): an unhandled rejection (here left by a plugin hook) or an uncaught
 * exception never ends the process unexplained. The peer logs a coded error with the cause, tells
 * its peers goodbye (EXIT) and exits with code 1.
 */
import t, { type Test } from 'tap';
import { Cluster } from '../harness.js';

/** A victim whose plugin runs `onMessage` on the friend's message; it must go down the coded way. */
async function goesDownCleanly(
  t: Test,
  o: { file: string; name: string; onMessage: string; code: string; cause: RegExp },
): Promise<void> {
  const cluster = new Cluster(t);
  const plugin = cluster.file(
    o.file,
    `export default {
  name: '${o.name}',
  setup: () => ({
    onMessage() {
      ${o.onMessage}
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
  t.match(said, new RegExp(o.code), 'a coded error');
  t.match(said, o.cause, 'with its cause');
  t.equal(gone.reason, 'exit', 'the peer said goodbye (EXIT): a clean shutdown, not a crash');
}

t.test('a plugin leaving an unhandled rejection: coded error, clean shutdown, exit 1', (t) =>
  goesDownCleanly(t, {
    file: 'leaky.mjs',
    name: 'leaky',
    // fire and forget, the mistake this test is about
    onMessage: "Promise.reject(new Error('leaked rejection from a hook'));",
    code: 'ERR_UNHANDLED_REJECTION',
    cause: /leaked rejection from a hook/,
  }),
);

t.test('a plugin throwing in its own timer: coded error, clean shutdown, exit 1', (t) =>
  goesDownCleanly(t, {
    file: 'thrower.mjs',
    name: 'thrower',
    // outside any hook's try: nothing catches this but the process
    onMessage: "setTimeout(() => { throw new Error('thrown from a plugin timer'); }, 1);",
    code: 'ERR_UNCAUGHT_EXCEPTION',
    cause: /thrown from a plugin timer/,
  }),
);
