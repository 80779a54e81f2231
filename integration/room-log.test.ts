/**
 * Issue 18, the process-level proof: group rooms with shared history between real `peerchat`
 * processes, inside a loopback-only network namespace against a 10-node testnet (never the public
 * DHT). Where unshare is unavailable the file skips with the reason.
 */
import { netnsTest, type Tap } from './helpers/netns.js';

await netnsTest(import.meta.url, main);

async function main(t: Tap): Promise<void> {
  const { readdirSync, readFileSync, statSync } = await import('node:fs');
  const path = await import('node:path');
  const { startTestnet } = await import('./helpers/netns.js');
  const { Cluster, until } = await import('./harness.js');
  type PeerProcess = import('./harness.js').PeerProcess;
  type PeerEvent = import('./harness.js').PeerEvent;

  t.setTimeout(120_000);
  const testnet = await startTestnet();
  t.teardown(() => testnet.destroy());
  const bootstrap = testnet.bootstrap.map((n) => `${n.host}:${n.port}`);
  const cluster = new Cluster(t);
  const dataDirs = new Map<string, string>();

  const spawn = async (name: string): Promise<PeerProcess> => {
    const dataDir = dataDirs.get(name) ?? path.join(cluster.root, `data-${name}`);
    dataDirs.set(name, dataDir);
    return cluster.spawn({ name, dataDir, config: { dht: { bootstrap } } });
  };
  const roomPeers = async (p: PeerProcess, room: string) =>
    ((await p.eval('peer.rooms()')) as Array<{ name: string; peers: number }>).find((r) => r.name === room)
      ?.peers ?? 0;
  const roomMessages = (p: PeerProcess, room: string, pred: (e: PeerEvent) => boolean = () => true) =>
    p.all('message', (e) => e.room === room && pred(e));
  /** The author key of a member in a room: the key its own said messages are stored under. */
  const authorKey = async (p: PeerProcess, room: string) =>
    (await p.eval(
      `peer.history({ room: ${JSON.stringify(room)}, limit: Infinity }).find((m) => m.direction === 'out')?.key`,
    )) as string | undefined;
  const historyCount = async (p: PeerProcess, room: string, key?: string) =>
    (await p.eval(
      `peer.history({ room: ${JSON.stringify(room)}, limit: Infinity })${
        key ? `.filter((m) => m.key === ${JSON.stringify(key)})` : ''
      }.length`,
    )) as number;
  const filesUnder = (dir: string): Buffer => {
    const parts: Buffer[] = [];
    for (const name of readdirSync(dir, { recursive: true }) as string[]) {
      const p = path.join(dir, name);
      if (statSync(p).isFile()) parts.push(readFileSync(p));
    }
    return Buffer.concat(parts);
  };

  const names = ['m1', 'm2', 'm3', 'm4', 'm5'];
  const members = await Promise.all(names.map((n) => spawn(n)));
  const [m1, m2, m3, m4, m5] = members as [PeerProcess, PeerProcess, PeerProcess, PeerProcess, PeerProcess];
  await Promise.all(members.map((m) => m.eval("await peer.join('team')", 20_000)));
  await until(
    async () => (await Promise.all(members.map((m) => roomPeers(m, 'team')))).every((n) => n === 4),
    30_000,
    'all 5 members connected to each other',
  );

  t.test('5 processes in one room: said by one, the other 4 get it, verified by author key', async (t) => {
    const said = (await m1.eval("await peer.say('team', 'hello from m1')")) as { holders: number };
    t.ok(said.holders >= 1);
    const key = await authorKey(m1, 'team');
    t.match(key, /^[0-9a-f]{64}$/);
    for (const m of [m2, m3, m4, m5]) {
      const e = await m.waitFor('message', (e) => e.room === 'team' && e.text === 'hello from m1', 10_000);
      t.equal(e.key, key, `${m.name}: the author key of m1`);
      t.equal(e.verified, true);
      t.equal(e.late, false, `${m.name}: live`);
    }
    const list = (await m2.eval("peer.members('team')")) as Array<{
      key: string;
      name: string;
      online: boolean;
    }>;
    t.ok(
      list.some((x) => x.key === key && x.name === 'm1' && x.online),
      'members() shows m1 online',
    );
  });

  t.test('a 6th joins after 200 messages, their authors gone, and reads all 200 in order', async (t) => {
    await m1.eval("for (let i = 0; i < 100; i++) await peer.say('team', 'a' + i)", 30_000);
    await m2.eval("for (let i = 0; i < 100; i++) await peer.say('team', 'b' + i)", 30_000);
    const [k1, k2] = [await authorKey(m1, 'team'), await authorKey(m2, 'team')];
    for (const m of [m3, m4, m5]) {
      await until(
        () => roomMessages(m, 'team', (e) => /^[ab]\d+$/.test(String(e.text))).length === 200,
        30_000,
        `${m.name} holds all 200`,
      );
    }
    await Promise.all([m1.quit(), m2.quit()]);
    const m6 = await spawn('m6');
    await m6.eval("await peer.join('team')", 20_000);
    await until(
      () => roomMessages(m6, 'team', (e) => /^[ab]\d+$/.test(String(e.text))).length === 200,
      30_000,
      'm6 read all 200',
    );
    const got = roomMessages(m6, 'team', (e) => /^[ab]\d+$/.test(String(e.text)));
    t.ok(
      got.every((e) => e.late === true),
      'all arrived by catch-up',
    );
    const a = got.filter((e) => e.key === k1).map((e) => e.text);
    const b = got.filter((e) => e.key === k2).map((e) => e.text);
    t.same(
      a,
      Array.from({ length: 100 }, (_, i) => `a${i}`),
      "m1's 100, in the order written",
    );
    t.same(
      b,
      Array.from({ length: 100 }, (_, i) => `b${i}`),
      "m2's 100, in the order written",
    );
    t.equal(await historyCount(m6, 'team'), 201, 'stored with their room (and the hello)');
    await m6.quit();
  });

  t.test('a member SIGKILLed during 100 messages catches up on restart from another member', async (t) => {
    const saying = m4.eval(
      "for (let i = 0; i < 100; i++) { await peer.say('team', 'k' + i); await new Promise((r) => setTimeout(r, 5)); }",
      30_000,
    );
    await m3.waitFor('message', (e) => e.text === 'k10', 10_000);
    m3.kill('SIGKILL');
    await m3.waitExit();
    await saying;
    await until(
      () => roomMessages(m5, 'team', (e) => /^k\d+$/.test(String(e.text))).length === 100,
      20_000,
      'm5 holds all 100',
    );
    const key = await authorKey(m4, 'team');
    await m4.quit(); // the author is gone: m5 is the only member left to serve them
    const back = await spawn('m3');
    t.teardown(() => back.quit());
    await back.eval("await peer.join('team')", 20_000);
    const kCount = async () =>
      (await back.eval(
        `peer.history({ room: 'team', limit: Infinity }).filter((m) => /^k\\d+$/.test(m.text) && m.key === ${JSON.stringify(key)}).length`,
      )) as number;
    await until(async () => (await kCount()) === 100, 30_000, 'm3 holds all 100 after its restart');
    t.pass("m3 caught up to all 100 of m4's messages from m5");
    const holders = (await back.eval("peer.members('team').filter((m) => m.online).length")) as number;
    t.equal(holders, 2, 'only m3 and m5 are online');
  });

  t.test("a secret room's data on disk lacks the plaintext; an open room's has it", async (t) => {
    // two fresh members (a room joined beside another one on a live connection is not found there)
    const [x, y] = await Promise.all([spawn('s1'), spawn('s2')]);
    const plain = 'the launch code is 0451';
    await Promise.all(
      [x, y].map((p) => p.eval("await peer.join('vault', { secret: 'a long shared passphrase' })", 20_000)),
    );
    await x.eval(`await peer.say('vault', ${JSON.stringify(plain)})`);
    await y.waitFor('message', (e) => e.room === 'vault' && e.text === plain, 20_000);
    for (const p of [x, y]) {
      const dir = path.join(dataDirs.get(p.name) as string, 'rooms');
      const all = filesUnder(dir);
      t.ok(all.byteLength > 0, `${p.name}: room data on disk (${all.byteLength} bytes)`);
      t.notOk(all.includes(Buffer.from(plain)), `${p.name}: the secret room's plaintext is not on disk`);
    }
    const control = filesUnder(path.join(dataDirs.get('m5') as string, 'rooms'));
    t.ok(control.includes(Buffer.from('hello from m1')), "control: an open room's text is on disk");
  });
}
