/**
 * Issue 15 #2: pin bypass by claimed port. After alice pinned bob, an impostor on bob's port that
 * states another port in its hello must be refused, not accepted (and pinned afresh) as "bob".
 * Real peerchat processes and a raw impostor on bob's port.
 */
import type { Server } from 'node:net';
import t from 'tap';
import { Cluster } from '../harness.js';
import { impostorServer } from '../native-client.js';

t.setTimeout(60_000);

t.test('an impostor on a pinned address that claims another port is refused', async (t) => {
  const cluster = new Cluster(t);
  const alice = await cluster.spawn({ name: 'alice' });
  const bob = await cluster.spawn({ name: 'bob' });
  const bobPort = Number(bob.address.split(':')[1]);
  await alice.eval(`await peer.connect(${JSON.stringify(bob.address)})`);
  await bob.quit();
  await alice.waitFor('peer-disconnected', (e) => e.peer === bob.address);

  const claimed = bobPort === 65535 ? bobPort - 1 : bobPort + 1;
  const impostor = await impostorServer(bobPort, { name: 'bob', port: claimed });
  t.teardown(() => {
    for (const s of impostor.sessions) s.socket.destroy();
    return closeServer(impostor.server);
  });

  const result = (await alice.eval(
    `await peer.connect(${JSON.stringify(bob.address)}).then((p) => ({ ok: p }), (e) => ({ code: e.code, message: e.message }))`,
  )) as { ok?: { address: string; key: string }; code?: string; message?: string };
  t.notOk(result.ok, `the impostor was not accepted (${JSON.stringify(result.ok ?? result.code)})`);
  t.equal(result.code, 'ERR_ADDRESS_MISMATCH', `refused: ${result.message}`);
  const sent = (await alice.eval(
    `await peer.send(${JSON.stringify(bob.address)}, "secret").then((r) => r.state, (e) => e.code)`,
  )) as string;
  t.not(sent, 'acked', `a send to bob's address is not acked by the impostor (${sent})`);
  t.equal(impostor.sessions.flatMap((s) => s.chats).length, 0, 'the impostor received no chat');
});

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
  });
}
