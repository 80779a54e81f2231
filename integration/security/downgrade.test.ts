/**
 * Issue 15 #3: plaintext downgrade without stripping anything. A peer known by its key never gets
 * plaintext: not by the one-shot fallback after a CONNECT that times out, and not through a keyless
 * CONNECT that would replace its native session. Real peerchat processes, a blackhole on bob's
 * port and a raw classic socket.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import path from 'node:path';
import { execa } from 'execa';
import t from 'tap';
import { BIN, Cluster, isolatedEnv, LOOPBACK, until } from '../harness.js';

t.setTimeout(60_000);

t.test('a pinned peer behind a blackhole never gets a plaintext one-shot', async (t) => {
  const cluster = new Cluster(t);
  const alice = await cluster.spawn({ name: 'alice', config: { store: false, timeouts: { connect: 1000 } } });
  const bob = await cluster.spawn({ name: 'bob' });
  const bobPort = Number(bob.address.split(':')[1]);
  await alice.eval(`await peer.connect(${JSON.stringify(bob.address)})`);
  await bob.quit();
  await alice.waitFor('peer-disconnected', (e) => e.peer === bob.address);

  // accepts, reads, never answers CONNECT
  let captured = '';
  const sockets = new Set<Socket>();
  const hole = createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.on('data', (b) => {
      captured += b.toString('latin1');
    });
  });
  hole.listen(bobPort, LOOPBACK);
  await once(hole, 'listening');
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    hole.close();
  });

  const result = (await alice.eval(
    `await peer.send(${JSON.stringify(bob.address)}, "the launch code is 0000").then((r) => r.state, (e) => ({ code: e.code, message: e.message }))`,
  )) as string | { code: string; message: string };
  t.not(result, 'sent', `the send did not go out in clear (${JSON.stringify(result)})`);
  t.notMatch(captured, /launch code/, `nothing in clear reached the blackhole (${JSON.stringify(captured)})`);
  t.match(result, { code: 'ERR_DOWNGRADE', message: /plaintext/ }, 'the send fails with ERR_DOWNGRADE');

  // the one-shot CLI reads the same known_hosts
  const data = path.join(alice.dir, 'data');
  const knownHosts = path.join(data, 'known_hosts');
  await until(
    () => {
      try {
        return readFileSync(knownHosts, 'utf8').includes(bob.address);
      } catch {
        return false;
      }
    },
    5000,
    'the pin of bob to be saved',
  );
  const cli = await execa(
    process.execPath,
    [BIN, 'send', '--data-dir', data, '--host', LOOPBACK, '--port', '0', bob.address, 'launch code again'],
    { env: isolatedEnv(path.join(alice.dir, 'home')), extendEnv: false, reject: false, timeout: 20_000 },
  );
  // the one-shot opens alice's store (its lock is free): the text waits, encrypted-only, in her
  // outbox for bob's key instead of failing; without a store it fails with ERR_DOWNGRADE (above)
  t.equal(cli.exitCode, 0, `peerchat send exits 0: ${cli.stderr.trim()}`);
  t.match(
    cli.stdout,
    /^queued native message/m,
    `queued for bob's key, not sent in clear: ${cli.stdout.trim()}`,
  );
  t.notMatch(captured, /launch code/, 'still nothing in clear');
});

t.test('a keyless CONNECT from the same IP never replaces a native session', async (t) => {
  const cluster = new Cluster(t);
  const alice = await cluster.spawn({ name: 'alice' });
  const bob = await cluster.spawn({ name: 'bob' });
  const bobPort = Number(bob.address.split(':')[1]);
  const alicePort = Number(alice.address.split(':')[1]);
  await alice.eval(`await peer.connect(${JSON.stringify(bob.address)})`);

  const raw = connect(alicePort, LOOPBACK);
  raw.on('error', () => {});
  await once(raw, 'connect');
  t.teardown(() => raw.destroy());
  raw.write(`CONNECT:bob:${bobPort}\n`);
  // whatever alice answers, the warning or the ACK comes back before we look
  await alice.waitFor('warning', (e) => e.code === 'ERR_DOWNGRADE', 5000).catch(() => null);
  const info = (await alice.eval(
    `peer.active().find((p) => p.address === ${JSON.stringify(bob.address)})`,
  )) as {
    protocol: string;
    key: string | null;
  };
  t.equal(info.protocol, 'native', 'bob is still reached over the native session');
  const state = (await alice.eval(
    `await peer.send(${JSON.stringify(bob.address)}, "still private").then((r) => r.state, (e) => e.code)`,
  )) as string;
  t.equal(state, 'acked', 'the next send is encrypted and acked by bob');
  await bob.waitFor('message', (e) => e.text === 'still private' && e.verified === true);
});
