/**
 * Scenario 6: classic interop. A raw-socket classic peer (classic-client.ts, written from
 * classic-protocol.md) talks to real peerchat processes in both directions, then a network
 * mixing classic-only and native peers is exercised.
 */
import t from 'tap';
import { ClassicClient } from './classic-client.js';
import { Cluster } from './harness.js';

t.setTimeout(45_000);

t.test('classic frames in both directions', async (t) => {
  const cluster = new Cluster(t);
  const classic = new ClassicClient('oldtimer');
  t.teardown(() => classic.close());
  await classic.listen();
  const [p, q] = await cluster.spawnMany(2, (i) => ({ name: ['pc', 'qc'][i] }));
  if (!p || !q) throw new Error('spawn failed');

  // classic dials peerchat: CONNECT -> ACK, exactly
  const ack = await classic.connectTo(p.port);
  t.equal(ack, `ACK:pc:${p.port}`, 'ACK:<name>:<port> answers a classic CONNECT (no capability hint)');
  const conn = await p.waitFor('peer-connected', (e) => e.peer === classic.address);
  t.match(
    conn,
    { name: 'oldtimer', protocol: 'classic' },
    'peerchat keys the classic peer by its listening port',
  );

  // MESSAGE on a one-shot connection, text with ":" and non-ASCII
  await classic.message(p.port, 'hello: from 1999 — ünïcode');
  const msg = await p.waitFor('message', (e) => e.from === classic.address);
  t.match(
    msg,
    { name: 'oldtimer', text: 'hello: from 1999 — ünïcode', protocol: 'classic', verified: false },
    'a classic MESSAGE arrives with its fields',
  );

  // peerchat dials classic: CONNECT (a capability hint may follow) -> ACK
  const info = (await q.eval(`await peer.connect(${JSON.stringify(classic.address)})`)) as Record<
    string,
    unknown
  >;
  t.match(info, { address: classic.address, name: 'oldtimer', protocol: 'classic', key: null });
  const connect = await classic.waitFrame((r) => r.via === 'in' && r.frame.startsWith('CONNECT:'));
  const [, name, port] = connect.frame.split(':');
  t.same([name, Number(port)], ['qc', q.port], 'CONNECT:<name>:<listening port>');

  // QUERY -> PEERLIST, classic asking peerchat
  const keys = await classic.query(p.port);
  t.same(keys, [classic.address], 'PEERLIST lists the connected peers of peerchat');

  // peerchat asking classic
  const learned = (await q.eval(`await peer.query(${JSON.stringify(classic.address)})`)) as string[];
  t.same(learned, [p.address], 'peerchat learns the classic peer list, less its own key');
  await q.waitFor('peer-discovered', (e) => e.peer === p.address);

  // peerchat sends to classic (on the persistent connection or a new one: both are classic)
  const sent = (await q.eval(
    `await peer.send(${JSON.stringify(classic.address)}, "hi: old friend")`,
  )) as Record<string, unknown>;
  t.match(sent, { to: classic.address, protocol: 'classic', state: 'sent' });
  const got = await classic.waitFrame((r) => r.frame.startsWith('MESSAGE:qc:'));
  t.equal(got.frame, `MESSAGE:qc:${q.port}:hi: old friend`, 'MESSAGE:<name>:<port>:<text>');

  // EXIT, peerchat -> classic (on the connection peerchat opened)
  await q.quit();
  const exit = await classic.waitFrame((r) => r.frame.startsWith('EXIT:'));
  t.equal(exit.frame, `EXIT:${q.port}`, 'a quitting peerchat sends EXIT:<port> to its classic peer');
  t.equal(exit.via, 'in', 'on the persistent connection it opened');
  // EXIT, classic -> peerchat
  // the original sends EXIT on every persistent connection: only p is left
  await classic.exit();
  const gone = await p.waitFor('peer-disconnected', (e) => e.peer === classic.address, 1000);
  t.equal(gone.reason, 'exit', 'peerchat sees a classic EXIT as reason "exit"');
  const pConnected = (await p.eval('peer.connected().map((x) => x.address)')) as string[];
  t.notOk(pConnected.includes(classic.address), 'and drops it from connected()');
});

t.test('a network mixing classic-only and native peers', async (t) => {
  const cluster = new Cluster(t);
  const c1 = new ClassicClient('classic1');
  const c2 = new ClassicClient('classic2');
  t.teardown(() => {
    c1.close();
    c2.close();
  });
  await Promise.all([c1.listen(), c2.listen()]);
  const [n1, n2] = await cluster.mesh(2, (i) => ({ name: `native${i + 1}` }));
  if (!n1 || !n2) throw new Error('spawn failed');

  // c1 knows n1; n1 knows c2 (peerchat dials the classic peer)
  await c1.connectTo(n1.port);
  await n1.eval(`await peer.connect(${JSON.stringify(c2.address)})`);
  await n1.waitFor('peer-connected', (e) => e.peer === c1.address);

  // n2 discovers both classic peers through n1 and connects to them
  const learned = ((await n2.eval(`await peer.query(${JSON.stringify(n1.address)})`)) as string[]).sort();
  t.same(learned, [c1.address, c2.address].sort(), 'a native query lists classic peers too');
  const made = (await n2.eval('await peer.connectAll()')) as { address: string; protocol: string }[];
  t.same(
    made.map((x) => [x.address, x.protocol]).sort(),
    [
      [c1.address, 'classic'],
      [c2.address, 'classic'],
    ].sort(),
    'connectAll reaches the classic peers over classic sessions',
  );
  // a classic peer discovers the natives from a native peer's PEERLIST
  t.same((await c2.query(n2.port)).sort(), [c1.address, c2.address, n1.address].sort());

  // broadcast from a native peer: native to natives, classic frames to classic peers
  const results = (await n2.eval('await peer.broadcast("to everyone")')) as {
    to: string;
    protocol: string;
  }[];
  t.same(
    results.map((r) => [r.to, r.protocol]).sort(),
    [
      [c1.address, 'classic'],
      [c2.address, 'classic'],
      [n1.address, 'native'],
    ].sort(),
    'one result per peer, each in its protocol',
  );
  for (const c of [c1, c2]) {
    const f = await c.waitFrame((r) => r.frame.startsWith('MESSAGE:native2:'));
    t.equal(f.frame, `MESSAGE:native2:${n2.port}:to everyone`, `${c.name} got the broadcast`);
  }
  const nm = await n1.waitFor('message', (e) => e.text === 'to everyone');
  t.match(nm, { from: n2.address, protocol: 'native', verified: true });

  // classic peers write to the natives
  await c2.message(n1.port, 'from classic2');
  await c1.message(n2.port, 'from classic1');
  t.match(await n1.waitFor('message', (e) => e.text === 'from classic2'), {
    from: c2.address,
    protocol: 'classic',
  });
  t.match(await n2.waitFor('message', (e) => e.text === 'from classic1'), {
    from: c1.address,
    protocol: 'classic',
  });
  for (const p of [n1, n2]) t.same(p.all('error'), [], `${p.name}: no error events`);
});
