/**
 * The one-shot `peerchat send` through the real binary: stored in the sender's history when no
 * peer holds the data directory (else it says it was not stored), and it listens on --port.
 */
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { execa } from 'execa';
import t from 'tap';
import { Store } from '../src/store/store.js';
import { BIN, Cluster, isolatedEnv } from './harness.js';

t.setTimeout(60_000);

/** A port the OS just gave out and took back (what --port 0 would pick). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

t.test(
  'peerchat send: stored in the history, from --port; beside a running peer it says not stored',
  async (t) => {
    const cluster = new Cluster(t);
    const bob = await cluster.spawn({ name: 'bob' });
    const dir = mkdtempSync(path.join(cluster.root, 'sender-'));
    const dataDir = path.join(dir, 'data');
    const cli = (args: string[]) =>
      execa(
        process.execPath,
        [BIN, ...args, '--data-dir', dataDir, '--host', '127.0.0.1', '--name', 'alice'],
        {
          env: isolatedEnv(dir),
          extendEnv: false,
          reject: false,
          timeout: 30_000,
        },
      );
    const port = await freePort();
    const sent = await cli(['send', bob.address, 'hello from a one-shot', '--port', String(port)]);
    t.equal(sent.exitCode, 0, sent.stderr);
    t.match(sent.stdout, /^acked native message to /);
    t.notMatch(sent.stderr, /not stored/);
    const got = await bob.waitFor('message', (e) => e.text === 'hello from a one-shot');
    t.equal(got.from, `127.0.0.1:${port}`, 'the one-shot listened on --port');
    const history = await cli(['history', '--json']);
    t.match(JSON.parse(history.stdout), {
      direction: 'out',
      peer: bob.address,
      text: 'hello from a one-shot',
      state: 'acked',
    });

    // a peer running on the same data directory holds its lock (here: its store, opened by this test)
    const held = Store.open({ dataDir });
    t.teardown(() => held.close());
    const beside = await cli(['send', bob.address, 'beside a running peer']);
    t.equal(beside.exitCode, 0, beside.stderr);
    t.match(beside.stderr, /^peerchat: not stored in the history: a running peer holds the data directory /m);
    await bob.waitFor('message', (e) => e.text === 'beside a running peer');
  },
);

t.test(
  'peerchat send beside its running peer, which is connected to the target: both sessions stay',
  async (t) => {
    const cluster = new Cluster(t);
    const bob = await cluster.spawn({ name: 'bob' });
    const dataDir = path.join(cluster.dir('alice'), 'data');
    const alice = await cluster.spawn({ name: 'alice', dataDir, connect: [bob.address] });
    await bob.waitFor('peer-connected', (e) => e.name === 'alice');
    await alice.waitFor('peer-connected', (e) => e.name === 'bob');
    // the one-shot has alice's key: bob must not trade alice's live session for it, nor refuse it
    const sent = await execa(
      process.execPath,
      [BIN, 'send', bob.address, 'from a one-shot of alice', '--data-dir', dataDir, '--host', '127.0.0.1'],
      { env: isolatedEnv(cluster.dir('one-shot')), extendEnv: false, reject: false, timeout: 30_000 },
    );
    t.equal(sent.exitCode, 0, sent.stderr);
    t.match(sent.stdout, /^acked native message to /);
    t.match(sent.stderr, /not stored in the history: a running peer holds the data directory/);
    const got = await bob.waitFor('message', (e) => e.text === 'from a one-shot of alice');
    t.equal(got.name, 'alice');
    t.equal(got.verified, true);
    // a round trip on the running session after the one-shot left: nothing was dropped meanwhile
    await alice.eval(`await peer.send(${JSON.stringify(bob.address)}, 'still connected')`);
    await bob.waitFor('message', (e) => e.text === 'still connected');
    t.same(bob.all('peer-disconnected'), [], 'bob never saw alice leave');
    t.same(alice.all('peer-disconnected'), [], 'alice never lost bob');
  },
);

t.test('peerchat send to a contact that is away: queued, and it says who delivers it', async (t) => {
  const cluster = new Cluster(t);
  const bob = await cluster.spawn({ name: 'bob' });
  const dir = cluster.dir('sender');
  const dataDir = path.join(dir, 'data');
  const cli = (args: string[]) =>
    execa(process.execPath, [BIN, ...args, '--data-dir', dataDir, '--host', '127.0.0.1', '--name', 'alice'], {
      env: isolatedEnv(dir),
      extendEnv: false,
      reject: false,
      timeout: 30_000,
    });
  const first = await cli(['send', bob.address, 'hi bob']);
  t.equal(first.exitCode, 0, first.stderr);
  await bob.quit();
  const away = await cli(['send', 'bob', 'are you there?']);
  t.equal(away.exitCode, 0, away.stderr);
  t.match(away.stdout, /^queued native message to /);
  t.match(
    away.stderr,
    `peerchat: not delivered yet: it waits in the outbox of ${dataDir} and goes out when a peer started there reaches`,
  );
});
