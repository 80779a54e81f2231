/**
 * A loose plugin file next to a config, in a temp dir with no node_modules anywhere above it,
 * imports 'peerchat' and 'peerchat/testing': both resolve to the running peerchat.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { Cluster, REPO } from './harness.js';

t.setTimeout(60_000);

const VERSION = (JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string })
  .version;

const WELCOME = `
import { definePlugin, PeerchatError, version } from 'peerchat';
import * as testing from 'peerchat/testing';

export default definePlugin({
  name: 'welcome',
  setup(api) {
    api.addHelper('welcomeInfo', () => ({
      version,
      coded: new PeerchatError('ERR_USAGE', 'x').code,
      testing: typeof testing.startPeer,
    }));
    return {
      onPeerConnected: (peer) => api.send(peer.address, 'welcome, ' + (peer.name ?? 'stranger') + '!', { wait: false }),
    };
  },
});
`;

t.test('a plugin loaded by path from a temp dir imports peerchat and greets a peer', async (t) => {
  const cluster = new Cluster(t);
  const dir = cluster.dir('plugin');
  writeFileSync(path.join(dir, 'welcome.js'), WELCOME);
  const config = path.join(dir, '.peerchatrc.json');
  writeFileSync(config, JSON.stringify({ plugins: ['./welcome.js'] }));

  const alice = await cluster.spawn({ name: 'alice', args: ['--config', config] });
  t.same(
    await alice.eval('peer.welcomeInfo()'),
    { version: VERSION, coded: 'ERR_USAGE', testing: 'function' },
    'peerchat and peerchat/testing resolved to the running package',
  );
  const bob = await cluster.spawn({ name: 'bob', connect: [alice.address] });
  const greeting = await bob.waitFor('message', (e) => e.from === alice.address);
  t.equal(greeting.text, 'welcome, bob!');
  t.same(alice.all('warning'), [], 'no warnings');
});

t.test(
  'a typo in a plugin option stops start-up with exit code 2, naming the file, plugin and key',
  async (t) => {
    const cluster = new Cluster(t);
    const dir = cluster.dir('typo');
    const config = path.join(dir, 'peerchat.config.json');
    writeFileSync(
      config,
      JSON.stringify({ plugins: [['peerchat:filter', { blocekd: ['127.10.0.1:5000'] }]] }),
    );
    const res = await cluster.run(['--config', config, '-e', '1']);
    t.equal(res.exitCode, 2);
    t.match(
      String(res.stderr),
      `peerchat: ${config}: cannot load plugin "filter" (peerchat:filter): invalid options: option "blocekd": unknown key (did you mean "blocked"?) (ERR_PLUGIN_LOAD)`,
    );

    writeFileSync(path.join(dir, 'broken.js'), 'export default { name: "broken" };\n');
    writeFileSync(config, JSON.stringify({ plugins: ['./broken.js'] }));
    const broken = await cluster.run(['--config', config, '-e', '1']);
    t.equal(broken.exitCode, 2, 'a plugin that cannot be loaded is a config error too');
    t.match(String(broken.stderr), `peerchat: ${config}: cannot load plugin`);
    t.match(String(broken.stderr), 'plugin "broken" has no setup function (ERR_PLUGIN_LOAD)');
  },
);

t.test("a plugin's failing onStop is reported when a script ends, not only in headless mode", async (t) => {
  const cluster = new Cluster(t);
  const plugin = cluster.file(
    'stopper.mjs',
    "export default { name: 'stopper', setup: () => ({ async onStop() { throw new Error('could not flush') } }) };\n",
  );
  for (const mode of [
    ['-e', '1'],
    ['--json', '-e', 'await peer.quit()'],
  ]) {
    const res = await cluster.run(['--plugin', plugin, ...mode]);
    t.equal(res.exitCode, 0, String(res.stderr));
    t.match(
      String(res.stderr),
      /warning ERR_PLUGIN_HOOK: .*stopper.*onStop.*could not flush/,
      mode.join(' '),
    );
  }
});
