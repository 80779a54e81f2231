/**
 * Issue 15 #13 (process part): an unhandled rejection or an uncaught exception never ends the
 * process unexplained. Left by the peer's own code or a script, it is fatal the coded way: an error
 * with the cause, EXIT to its peers, exit code 1. Left by a plugin outside its hooks (a timer, a
 * promise it dropped), it is that plugin's failure: a warning, counted toward disabling the plugin,
 * and the peer goes on (docs/plugins.md "Failures").
 */
import t, { type Test } from 'tap';
import { Cluster, type PeerProcess } from '../harness.js';

/** A victim and a connected friend; `trigger` makes the victim leave an error behind. */
async function pair(t: Test, plugins: string[] = []): Promise<{ victim: PeerProcess; friend: PeerProcess }> {
  const cluster = new Cluster(t);
  const files = plugins.map((body, i) =>
    cluster.file(
      `p${i}.mjs`,
      `export default { name: 'p${i}', setup: () => ({ onMessage() { ${body} } }) };\n`,
    ),
  );
  const victim = await cluster.spawn({ name: 'victim', plugins: files });
  const friend = await cluster.spawn({ name: 'friend', connect: [victim.address] });
  // the session is up on both sides: an EXIT then reaches an attached peer
  await friend.waitFor('peer-connected', (e) => e.name === 'victim');
  return { victim, friend };
}

async function goesDownCleanly(t: Test, o: { line: string; code: string; cause: RegExp }): Promise<void> {
  const { victim, friend } = await pair(t);
  const going = friend.waitFor('peer-disconnected', (e) => e.name === 'victim');
  victim.write(o.line);
  const gone = await going;
  const exit = await victim.waitExit();
  t.equal(exit.exitCode, 1, 'exit code 1');
  const said = [...victim.stderr, ...victim.events.map((e) => JSON.stringify(e))].join('\n');
  t.match(said, new RegExp(o.code), 'a coded error');
  t.match(said, o.cause, 'with its cause');
  t.equal(gone.reason, 'exit', 'the peer said goodbye (EXIT): a clean shutdown, not a crash');
}

t.test('a script leaving an unhandled rejection: coded error, clean shutdown, exit 1', (t) =>
  goesDownCleanly(t, {
    line: "void Promise.reject(new Error('leaked rejection from a script'))",
    code: 'ERR_UNHANDLED_REJECTION',
    cause: /leaked rejection from a script/,
  }),
);

t.test('a script throwing in its own timer: coded error, clean shutdown, exit 1', (t) =>
  goesDownCleanly(t, {
    line: "setTimeout(() => { throw new Error('thrown from a script timer'); }, 1)",
    code: 'ERR_UNCAUGHT_EXCEPTION',
    cause: /thrown from a script timer/,
  }),
);

t.test('a plugin leaving errors outside its hooks: warnings, the peer goes on', async (t) => {
  const { victim, friend } = await pair(t, [
    // fire and forget, and a throw where no hook's try can see it
    "Promise.reject(new Error('leaked rejection from a hook'));",
    "setTimeout(() => { throw new Error('thrown from a plugin timer'); }, 1);",
  ]);
  const to = JSON.stringify(victim.address);
  t.match(await friend.eval(`await peer.send(${to}, "trigger")`), { state: 'acked' });
  const leaked = await victim.waitFor(
    'warning',
    (e) =>
      e.code === 'ERR_PLUGIN_UNCAUGHT' && /plugin "p0".*leaked rejection from a hook/.test(String(e.message)),
  );
  t.ok(leaked, 'the rejection is p0 failure');
  await victim.waitFor(
    'warning',
    (e) =>
      e.code === 'ERR_PLUGIN_UNCAUGHT' && /plugin "p1".*thrown from a plugin timer/.test(String(e.message)),
  );
  t.match(await friend.eval(`await peer.send(${to}, "still there?")`), { state: 'acked' });
  t.ok(victim.running, 'the victim runs on');
});
