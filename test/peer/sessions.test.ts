/** Sessions in the tables, over fake sessions: attach, one key one peer, tie-break, EXIT, room grace. */
import t from 'tap';
import type { Session } from '../../src/net/session.js';
import { Sessions } from '../../src/peer/sessions.js';
import { FakeSession, fakeCore } from '../helpers/core.js';
import { until } from '../helpers/wait.js';

const KEY_A = 'a'.repeat(64);
const KEY_B = 'b'.repeat(64);
const KEY_Z = 'f'.repeat(64);

function setup(localId: string | null = KEY_B, rooms: string[] = []) {
  const f = fakeCore();
  const attached: Session[] = [];
  const established: Session[] = [];
  const sessions = new Sessions(f.core, {
    localId: () => localId,
    roomsOf: () => rooms,
    attached: (_rec, s) => attached.push(s),
    established: (_rec, s) => established.push(s),
  });
  const open = (
    s: FakeSession,
    port = 5000,
    via: 'tcp' | 'room' = 'tcp',
    host = '127.0.0.1',
    transient = false,
  ) =>
    sessions.attach({
      session: s as unknown as Session,
      host,
      port,
      name: 'p',
      key: s.remoteKey,
      via,
      ...(transient ? { transient } : {}),
    });
  return { ...f, sessions, attached, established, open };
}

t.test('attach: discovered, connected, wired and established, in that order', async (t) => {
  const { open, named, events, attached, established, core } = setup();
  const s = new FakeSession('native', KEY_A);
  const info = open(s);
  t.match(info, { address: '127.0.0.1:5000', key: KEY_A, protocol: 'native', connected: true, via: 'tcp' });
  t.same(
    events.map((e) => e[0]),
    ['peer-discovered', 'peer-connected'],
  );
  t.equal(attached.length, 1);
  t.equal(established.length, 1);
  t.equal(core.table.byKey(KEY_A)?.session, s as unknown as Session);
  s.destroy('lost');
  t.match(named('peer-disconnected'), [[{ address: '127.0.0.1:5000', connected: false }, 'lost']]);
});

t.test('one key is one peer: met at another address it keeps its entry', async (t) => {
  const { open, core } = setup();
  open(new FakeSession('native', KEY_A), 5000);
  const info = open(new FakeSession('native', KEY_A), 6000, 'tcp', '127.10.0.9');
  t.equal(info.address, '127.0.0.1:5000');
  t.equal(core.table.all().length, 1);
});

t.test('a newer session replaces the old one; the same peer is not reported connected twice', async (t) => {
  const { open, named, sessions, core } = setup();
  const old = new FakeSession('native', KEY_A);
  open(old);
  const rec = core.table.get('127.0.0.1:5000')!;
  rec.since = Date.now() - 10_000; // long ago: a restarted peer
  const next = new FakeSession('native', KEY_A);
  open(next);
  t.ok(old.closed, 'the old one is closed');
  t.equal(rec.session, next as unknown as Session);
  t.equal(named('peer-connected').length, 1);
  t.equal(named('peer-disconnected').length, 0, 'a replaced session is not a disconnect');
  t.equal(sessions.replaces(next as unknown as Session, old as unknown as Session, rec), true);
});

t.test('simultaneous connect: both sides keep the session the lower key initiated', async (t) => {
  const { sessions, core } = setup(KEY_B);
  const [rec] = core.table.upsert('127.0.0.1:5000', '127.0.0.1', 5000);
  rec.since = Date.now();
  const weInitiated = new FakeSession('native', KEY_A, true) as unknown as Session;
  const theyInitiated = new FakeSession('native', KEY_A, false) as unknown as Session;
  // they (KEY_A) are lower than us (KEY_B): their session wins
  t.equal(sessions.replaces(theyInitiated, weInitiated, rec), true);
  t.equal(sessions.replaces(weInitiated, theyInitiated, rec), false);
  const z = setup(KEY_Z);
  t.equal(z.sessions.replaces(weInitiated, theyInitiated, rec), false, 'the higher key still yields to A');
  const classic = new FakeSession('classic') as unknown as Session;
  t.equal(sessions.replaces(weInitiated, classic, rec), true, 'a classic session is always replaced');
  const { sessions: noId } = setup(null);
  t.equal(noId.replaces(weInitiated, theyInitiated, rec), true, 'without an identity the newer wins');
});

t.test(
  'the tie-break is the same on both sides whatever the timing (issue 15: the rooms flake)',
  async (t) => {
    // two connections between A and B: c1 dialled by A, c2 dialled by B; each side sees each one
    // as a session with the other's key, initiated by itself or not
    const sideOf = (local: string, remote: string) => {
      const s = setup(local);
      const conn = (dialler: string, id: string) => {
        const f = new FakeSession('native', remote, dialler === local);
        (f as unknown as { id: string }).id = id;
        return f;
      };
      return { ...s, conn };
    };
    const kept = (side: ReturnType<typeof sideOf>) =>
      (side.core.table.byKey(side === a ? KEY_B : KEY_A)?.session as unknown as { id: string } | null)?.id;
    const a = sideOf(KEY_A, KEY_B);
    const b = sideOf(KEY_B, KEY_A);
    // A sees c1, then c2 long after (as under load); B sees c2, then c1 at once
    a.open(a.conn(KEY_A, 'c1'));
    a.core.table.byKey(KEY_B)!.since = Date.now() - 60_000;
    a.open(a.conn(KEY_B, 'c2'));
    b.open(b.conn(KEY_B, 'c2'));
    b.open(b.conn(KEY_A, 'c1'));
    t.equal(kept(a), 'c1', 'A keeps the one the lower key (A) dialled');
    t.equal(kept(b), 'c1', 'so does B, though it saw them in the other order');

    const rec = a.core.table.byKey(KEY_B)!;
    const tcp = new FakeSession('native', KEY_B, true) as unknown as Session;
    const room = new FakeSession('native', KEY_B, false) as unknown as Session;
    rec.via = 'tcp';
    t.equal(a.sessions.replaces(room, tcp, rec, 'room:lobby'), true, 'a room session replaces a TCP one');
    rec.via = 'room:lobby';
    t.equal(a.sessions.replaces(tcp, room, rec, 'tcp'), false, 'a TCP one never replaces a room one');
    t.equal(
      a.sessions.replaces(tcp, room, rec, 'room:lobby'),
      true,
      'between two room connections the newer (the one hyperswarm kept) wins, whoever dialled',
    );
    rec.via = 'tcp';
    const again = new FakeSession('native', KEY_B, true) as unknown as Session;
    t.equal(a.sessions.replaces(again, tcp, rec), true, 'the same side dialling again replaces its old one');
  },
);

t.test('the losing session of a tie-break is closed and the tables keep the winner', async (t) => {
  const { open, core } = setup(KEY_B);
  const winner = new FakeSession('native', KEY_A, false);
  open(winner);
  const loser = new FakeSession('native', KEY_A, true);
  open(loser);
  t.ok(loser.closed);
  t.notOk(winner.closed);
  t.equal(core.table.get('127.0.0.1:5000')?.session, winner as unknown as Session);
});

t.test('EXIT drops the peer from the tables; closing peers report nothing on close', async (t) => {
  const { open, named, core, close } = setup();
  const s = new FakeSession('native', KEY_A);
  open(s);
  s.destroy('exit');
  t.equal(core.table.all().length, 0);
  t.match(named('peer-disconnected'), [[{}, 'exit']]);
  const s2 = new FakeSession('native', KEY_A);
  open(s2);
  close();
  s2.destroy('closed');
  t.equal(named('peer-disconnected').length, 1, 'no event while shutting down');
  t.throws(() => open(new FakeSession('native', KEY_Z)), { code: 'ERR_CLOSED' });
});

t.test('a lost room connection gets a grace period; a new one within it is no disconnect', async (t) => {
  const { open, named } = setup(KEY_B, ['lobby']);
  const s = new FakeSession('native', KEY_A);
  open(s, 5000, 'room');
  s.destroy('lost');
  t.equal(named('peer-disconnected').length, 0, 'not yet');
  open(new FakeSession('native', KEY_A), 5000, 'room');
  t.equal(named('peer-connected').length, 1, 'the peer never left');
  const s3 = new FakeSession('native', KEY_Z);
  open(s3, 5001, 'room');
  s3.destroy('lost');
  await until(() => named('peer-disconnected').length === 1, 5000, 'the grace period to end');
});

t.test('an inbound session with another key cannot take the address of a connected peer', async (t) => {
  const { open, named, core, warned } = setup(KEY_B);
  const first = new FakeSession('native', KEY_Z, false);
  open(first);
  // a lower key, inbound, claiming the same port: the tie-break would have let it win
  const claimer = new FakeSession('native', KEY_A, false);
  open(claimer);
  t.ok(claimer.closed, 'the claimer is refused');
  t.notOk(first.closed, 'the connected peer keeps its session');
  t.equal(core.table.get('127.0.0.1:5000')?.session, first as unknown as Session);
  t.match(warned, [{ code: 'ERR_ADDRESS_IN_USE' }]);
  t.equal(named('peer-connected').length, 1);
  t.equal(named('peer-disconnected').length, 0);
});

t.test(
  'a session we dialled with another key takes the address; the one it replaced is disconnected',
  async (t) => {
    const { open, named, core } = setup(KEY_B);
    const inbound = new FakeSession('native', KEY_Z, false);
    open(inbound);
    const dialled = new FakeSession('native', KEY_A, true);
    open(dialled);
    t.ok(inbound.closed);
    t.equal(core.table.get('127.0.0.1:5000')?.session, dialled as unknown as Session);
    t.equal(named('peer-connected').length, 2, 'two peers connected');
    t.match(
      named('peer-disconnected'),
      [[{ key: KEY_Z, connected: false }, 'closed']],
      'and the first one left',
    );
  },
);

t.test('a one-shot sender of a connected key is taken beside its session, in either order', async (t) => {
  const { open, named, core, attached, established } = setup(KEY_B);
  const live = new FakeSession('native', KEY_A);
  open(live);
  const rec = core.table.byKey(KEY_A)!;
  // the one-shot (`peerchat send` on the running peer's data directory) dials in with the same key
  const oneShot = new FakeSession('native', KEY_A);
  open(oneShot, 6000, 'tcp', '127.0.0.1', true);
  t.notOk(live.closed, 'the live session stays');
  t.notOk(oneShot.closed, 'the one-shot is not refused');
  t.equal(rec.session, live as unknown as Session, 'the entry keeps the live session');
  t.equal(attached.at(-1), oneShot as unknown as Session, "the one-shot's messages are wired");
  t.equal(established.length, 1, 'nothing is resent over the one-shot');
  oneShot.destroy('exit');
  t.equal(rec.session, live as unknown as Session, "the one-shot's EXIT does not drop the peer");
  t.same(named('peer-disconnected'), []);

  // the other order: the one-shot came first, then the running peer (re)connects with its own session
  const b = setup(KEY_B);
  const first = new FakeSession('native', KEY_A);
  b.open(first, 6000, 'tcp', '127.0.0.1', true);
  const own = new FakeSession('native', KEY_A);
  b.open(own, 5000);
  t.notOk(first.closed, "the one-shot's session finishes by itself");
  t.equal(b.core.table.byKey(KEY_A)?.session, own as unknown as Session, 'the running peer takes the entry');
  first.destroy('exit');
  t.equal(b.core.table.byKey(KEY_A)?.session, own as unknown as Session);
  t.same(b.named('peer-disconnected'), []);
});
