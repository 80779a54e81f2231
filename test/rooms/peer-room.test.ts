/**
 * Group rooms wired into the Peer (issue 18): in-process Peers meet on a 10-node testnet inside a
 * loopback-only network namespace; said messages reach the room as `message` events with `room`,
 * reach a late joiner as `late`, and land in the history with their room.
 */
import { netnsTest, type Tap } from '../../integration/helpers/netns.js';

await netnsTest(import.meta.url, main);

async function main(t: Tap): Promise<void> {
  const { existsSync } = await import('node:fs');
  const path = await import('node:path');
  const { roomPeers, roomTestnet } = await import('./room-members.js');
  const { tempDir } = await import('../helpers/peers.js');
  const { until } = await import('../helpers/wait.js');
  const { Store } = await import('../../src/store/store.js');

  t.setTimeout(90_000);
  const { member: onTestnet } = await roomTestnet(t);

  const member = (t: Parameters<typeof onTestnet>[0], name: string, store = false) => {
    const dataDir = tempDir(t);
    return onTestnet(t, name, { dataDir, store: store ? Store.open({ dataDir }) : null });
  };

  t.test('said once, every member gets it with its room; a late joiner reads it late', async (t) => {
    const a = await member(t, 'alice');
    const b = await member(t, 'bob', true);
    const c = await member(t, 'carol');
    await Promise.all([a, b, c].map((m) => m.p.join('team')));
    await until(() => [a, b, c].every((m) => roomPeers(m.p, 'team') === 2), 20_000, 'all connected');
    const said = await a.p.say('team', 'hello team');
    t.equal(said.room, 'team');
    t.ok(said.holders >= 1, 'held here at least');
    await until(() => b.got.length === 1 && c.got.length === 1, 10_000, 'b and c got it');
    const got = b.got[0]!;
    t.equal(got.text, 'hello team');
    t.equal(got.room, 'team');
    t.equal(got.late, false, 'live');
    t.equal(got.name, 'alice');
    const aKey = a.p.members('team').find((m) => m.online && m.peers.length === 0)?.key;
    t.equal(got.key, aKey, 'verified by the author key');
    await until(() => b.p.history({ room: 'team' }).length === 1, 5000, 'stored');
    const row = b.p.history({ room: 'team' })[0];
    t.equal(row?.room, 'team');
    t.equal(row?.text, 'hello team');
    t.same(b.p.history({ room: 'other' }), [], 'another room has nothing');
    const names = b.p.members('team').map((m) => m.name);
    t.ok(names.includes('alice'), 'members() names alice');

    // alice leaves; dave joins later and reads from bob or carol
    await a.p.leave('team');
    const d = await member(t, 'dave');
    await d.p.join('team');
    await until(() => d.got.length === 1, 20_000, 'dave caught up');
    t.equal(d.got[0]?.text, 'hello team');
    t.equal(d.got[0]?.late, true, 'caught up: late');
    t.equal(d.got[0]?.key, aKey, 'the same author key');
  });

  t.test('leave with forget deletes the room log; say in a room not joined fails', async (t) => {
    const a = await member(t, 'erin');
    await a.p.join('scratch');
    await a.p.say('scratch', 'note');
    const dir = path.join(a.dataDir, 'rooms');
    await a.p.leave('scratch', { forget: true });
    t.notOk(existsSync(dir) && (await import('node:fs')).readdirSync(dir).length > 0, 'no room data left');
    await t.rejects(a.p.say('scratch', 'x'), { code: 'ERR_ROOM' });
    t.throws(() => a.p.members('scratch'), { code: 'ERR_ROOM' });
  });

  t.test('a forged block is rejected and the session that sent it is failed', async (t) => {
    const forger = await member(t, 'mallory');
    const victim = await member(t, 'victim');
    await Promise.all([forger, victim].map((m) => m.p.join('forge')));
    // both sides: a forger that has not attached its session yet would leave it untampered
    await until(
      () => roomPeers(victim.p, 'forge') === 1 && roomPeers(forger.p, 'forge') === 1,
      20_000,
      'connected',
    );
    // change the block's bytes on their way out of the forger (after signing, before Noise)
    type Stream = { write(b: Buffer): boolean; tampered?: true };
    type Rec = { session: { mux: { stream: Stream } | null } | null };
    const table = (forger.p as unknown as { table: { connected(): Rec[] } }).table;
    const tamper = () => {
      for (const rec of table.connected()) {
        const stream = rec.session?.mux?.stream;
        if (!stream || stream.tampered) continue;
        const write = stream.write.bind(stream);
        stream.tampered = true;
        stream.write = (buf: Buffer) => {
          const at = buf.indexOf('TAMPER');
          if (at < 0) return write(buf);
          const copy = Buffer.from(buf);
          copy[at] = 'X'.charCodeAt(0);
          return write(copy);
        };
      }
    };
    tamper();
    forger.p.on('peer-connected', tamper); // a connection that replaces this one (a redial) too
    const warnings: Array<{ code: string; message: string }> = [];
    victim.p.on('warning', (w) => warnings.push(w));
    const lost = new Promise<void>((resolve) => victim.p.once('peer-disconnected', () => resolve()));
    await forger.p.say('forge', 'TAMPER-ME please');
    await until(() => warnings.some((w) => /failed verification/.test(w.message)), 10_000, 'the warning');
    const w = warnings.find((x) => /failed verification/.test(x.message));
    t.equal(w?.code, 'ERR_BAD_FRAME', w?.message ?? 'no warning');
    t.same(
      victim.got.filter((m) => m.room === 'forge'),
      [],
      'nothing forged was shown',
    );
    await Promise.race([lost, until(() => roomPeers(victim.p, 'forge') === 0, 10_000, 'session failed')]);
    t.pass('the session that sent it was failed');
  });
}
