/**
 * Issue 16 point 3, through the room: alice and bob (stores on) meet only in a room. Bob exits;
 * alice sends to him by name and the message is queued. Bob comes back on another port (so the
 * TCP address alice last saw is dead) and joins the room again from his config; the message is
 * delivered over the room connection with no action by either user. Also after a SIGKILL (the
 * message went out on the dead connection) and across a restart of the sender. The file
 * re-executes itself in a loopback-only network namespace with a @hyperswarm/testnet (never the
 * public DHT).
 */
import { netnsTest, type Tap } from './helpers/netns.js';

await netnsTest(import.meta.url, main);

async function main(t: Tap): Promise<void> {
  const path = await import('node:path');
  const { startTestnet } = await import('./helpers/netns.js');
  const { Cluster } = await import('./harness.js');

  /** Meeting in the room, and meeting again after bob's return (measured: a few seconds). */
  const MEET_MS = 20_000;

  t.setTimeout(60_000);
  const testnet = await startTestnet();
  t.teardown(() => testnet.destroy());
  const bootstrap = testnet.bootstrap.map((n) => `${n.host}:${n.port}`);
  const config = { dht: { bootstrap }, rooms: ['meet'] };

  /** alice and bob (bob's data directory kept for his return), connected through the room. */
  async function meet(t: ConstructorParameters<typeof Cluster>[0]) {
    const cluster = new Cluster(t);
    const bobData = path.join(cluster.dir('bob-data'), 'data');
    const [alice, bob] = await Promise.all([
      cluster.spawn({ name: 'alice', config }),
      cluster.spawn({ name: 'bob', config, dataDir: bobData }),
    ]);
    await alice.waitFor('peer-connected', (e) => e.peer === bob.address, MEET_MS);
    return { cluster, bobData, alice, bob };
  }

  t.test('a message queued for a peer met in a room is delivered when it rejoins', async (t) => {
    const started = Date.now();
    const { cluster, bobData, alice, bob } = await meet(t);
    const seen = await alice.eval('peer.active().map(({ address, via }) => ({ address, via }))');
    t.same(seen, [{ address: bob.address, via: 'room:meet' }], 'alice met bob in the room, and only there');

    const gone = alice.next('peer-disconnected', (e) => e.peer === bob.address);
    await bob.quit();
    await gone;
    const text = 'queued while you were out of the room';
    const sent = (await alice.eval(`await peer.send("bob", ${JSON.stringify(text)})`)) as {
      id: string;
      state: string;
    };
    t.equal(sent.state, 'queued', 'queued for the absent member');

    // bob returns on another port: the TCP address alice saw is dead, only the room can bring him
    const returned = Date.now();
    const back = await cluster.spawn({ name: 'bob', config, dataDir: bobData });
    t.not(back.address, bob.address, 'bob is back at another address');
    const delivered = alice.waitFor('message-delivered', (e) => e.id === sent.id, MEET_MS);
    const arrived = await back.waitFor('message', (e) => e.id === sent.id, MEET_MS);
    t.match(arrived, { text, name: 'alice', protocol: 'native', verified: true });
    t.match(await delivered, { type: 'message-delivered', id: sent.id, text });
    t.comment(
      `bob restarted -> delivered: ${Date.now() - returned} ms (whole test ${Date.now() - started} ms)`,
    );
    const via = (await back.eval('peer.connected().map((p) => p.via)')) as string[];
    t.same(via, ['room:meet'], 'delivered over the room connection');

    const aliceHistory = (await alice.eval(
      `peer.history("bob").map((m) => [m.id, m.direction, m.state])`,
    )) as unknown[];
    t.same(aliceHistory, [[sent.id, 'out', 'acked']], "in alice's history, acked");
    const bobHistory = (await back.eval(
      'peer.history().filter((m) => !m.room).map((m) => [m.id, m.direction, m.text])',
    )) as unknown[];
    t.same(bobHistory, [[sent.id, 'in', text]], "in bob's history");
    t.same(await alice.eval('peer.outbox().length'), 0, "alice's outbox is empty");
  });
  t.test(
    'killed mid-session: a message sent on the dead room connection arrives after the rejoin',
    async (t) => {
      const { cluster, bobData, alice, bob } = await meet(t);
      bob.kill('SIGKILL');
      await bob.waitExit();
      // the room connection is not known dead yet (up to 6 s of silence): the message goes on it
      const stale = (await alice.eval('peer.connected().length')) as number;
      t.comment(`alice still counts the dead room connection as up when sending: ${stale === 1}`);
      const text = 'sent into a dead connection';
      const sent = (await alice.eval(`await peer.send("bob", ${JSON.stringify(text)}, { wait: false })`)) as {
        id: string;
        state: string;
      };
      t.equal(sent.state, 'queued', 'queued, not acked');

      const returned = Date.now();
      const back = await cluster.spawn({ name: 'bob', config, dataDir: bobData });
      const delivered = alice.waitFor('message-delivered', (e) => e.id === sent.id, MEET_MS);
      const arrived = await back.waitFor('message', (e) => e.id === sent.id, MEET_MS);
      t.match(arrived, { text, name: 'alice', verified: true });
      t.match(await delivered, { id: sent.id, text });
      t.comment(`bob restarted after SIGKILL -> delivered: ${Date.now() - returned} ms`);
      t.same(await alice.eval('peer.outbox().length'), 0, "alice's outbox is empty");
      t.same(
        (await back.eval('peer.history().filter((m) => !m.room).map((m) => m.id)')) as unknown[],
        [sent.id],
        'bob has it once',
      );
    },
  );

  t.test('the sender restarts too: its outbox from the earlier run is delivered in the room', async (t) => {
    const cluster = new Cluster(t);
    const aliceData = path.join(cluster.dir('alice-data'), 'data');
    const bobData = path.join(cluster.dir('bob-data'), 'data');
    const [alice, bob] = await Promise.all([
      cluster.spawn({ name: 'alice', config, dataDir: aliceData }),
      cluster.spawn({ name: 'bob', config, dataDir: bobData }),
    ]);
    await alice.waitFor('peer-connected', (e) => e.peer === bob.address, MEET_MS);
    await bob.quit();
    const text = 'queued before my own restart';
    const sent = (await alice.eval(`await peer.send("bob", ${JSON.stringify(text)})`)) as {
      id: string;
      state: string;
    };
    t.equal(sent.state, 'queued');
    await alice.quit();

    const again = await cluster.spawn({ name: 'alice', config, dataDir: aliceData });
    t.same(await again.eval('peer.outbox().map((m) => m.id)'), [sent.id], 'still queued after the restart');
    const back = await cluster.spawn({ name: 'bob', config, dataDir: bobData });
    const delivered = again.waitFor('message-delivered', (e) => e.id === sent.id, MEET_MS);
    const arrived = await back.waitFor('message', (e) => e.id === sent.id, MEET_MS);
    t.match(arrived, { text, name: 'alice', verified: true });
    t.match(await delivered, { id: sent.id, text });
    t.same(await again.eval('peer.outbox().length'), 0, "alice's outbox is empty");
  });
}
