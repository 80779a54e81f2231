/**
 * Contacts through the real binary: `peerchat contacts [--json]` reads the book while the peer runs,
 * and a message to a contact that left is queued to its key.
 */
import path from 'node:path';
import { execa } from 'execa';
import t from 'tap';
import { BIN, Cluster, isolatedEnv } from './harness.js';

t.setTimeout(60_000);

t.test('peerchat contacts lists who was met; a contact that left gets its message queued', async (t) => {
  const cluster = new Cluster(t);
  const alice = await cluster.spawn({ name: 'alice' });
  const bob = await cluster.spawn({ name: 'bob' });
  await alice.eval(`await peer.connect(${JSON.stringify(bob.address)})`);
  const dataDir = path.join(alice.dir, 'data');
  const contacts = (args: string[]) =>
    execa(process.execPath, [BIN, 'contacts', '--data-dir', dataDir, ...args], {
      env: isolatedEnv(path.join(alice.dir, 'home')),
      extendEnv: false,
      reject: false,
    });
  let listed = await contacts(['--json']);
  for (let i = 0; i < 50 && listed.stdout === ''; i++) listed = await contacts(['--json']); // the write commits
  t.equal(listed.exitCode, 0);
  t.match(JSON.parse(listed.stdout), {
    type: 'contact',
    name: 'bob',
    key: bob.id,
    addresses: [bob.address],
    met: 'tcp',
  });
  const human = await contacts([]);
  t.match(human.stdout, new RegExp(`^bob +[0-9a-f:]{19} +${bob.address} +seen .* +met tcp$`));
  t.match((await contacts(['nobody'])).stderr, /no contact matches "nobody"/);

  await bob.quit();
  t.match(await alice.eval('await peer.send("bob", "are you back?")'), { state: 'queued' });
  t.match(await alice.eval('peer.contacts("bob")'), [{ name: 'bob', key: bob.id, connected: false }]);
});
