import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import { fingerprint } from '../../src/net/native/identity.js';
import { newId, Store } from '../../src/store/store.js';
import type { ChatMessage } from '../../src/types.js';
import { runCli, sandbox } from './run-cli.js';

// no user or repository config may leak in: everything runs under a temporary root
const fresh = sandbox(t);

const ALICE_KEY = randomBytes(32).toString('hex');
const ALICE = '127.0.0.1:5001';
const BOB = '127.0.0.1:5002';
const DAY = 24 * 60 * 60 * 1000;
const BASE_TS = Date.UTC(2024, 0, 15, 12, 30, 5); // fixed times, so the lines are predictable

function message(over: Partial<ChatMessage>): ChatMessage {
  return {
    id: newId(),
    from: ALICE,
    name: 'alice',
    text: 'hello',
    protocol: 'native',
    verified: true,
    key: ALICE_KEY,
    fingerprint: fingerprint(ALICE_KEY),
    ts: BASE_TS,
    direction: 'in',
    ...over,
  };
}

/** An independent "YYYY-MM-DD HH:MM:SS" in local time, to check the command's lines against. */
function localTime(ts: number): string {
  const d = new Date(ts);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

interface Seeded {
  dir: string;
  incoming: ChatMessage;
  acked: ChatMessage;
  classic: ChatMessage;
  queued: ChatMessage;
}

/** A data directory with four messages: alice -> us (native), us -> alice (acked, queued), us -> bob (classic). */
async function seed(_t: Test): Promise<Seeded> {
  const dir = fresh();
  const store = Store.open({ dataDir: dir });
  const incoming = message({ text: 'hi from alice' });
  const acked = message({ direction: 'out', text: 'hi alice', ts: BASE_TS + 1000 });
  const classic = message({
    direction: 'out',
    from: BOB,
    name: 'bob',
    text: 'hello bob, lunch?',
    protocol: 'classic',
    verified: false,
    key: null,
    fingerprint: null,
    ts: BASE_TS + DAY,
  });
  const queued = message({ direction: 'out', text: 'are you there? Lunch', ts: BASE_TS + 2 * DAY });
  try {
    await store.recordIncoming(incoming);
    await store.enqueue(acked, ALICE_KEY);
    await store.markAcked(acked.id);
    await store.enqueue(classic, null);
    await store.markSent(classic.id);
    await store.enqueue(queued, ALICE_KEY);
  } finally {
    await store.close();
  }
  return { dir, incoming, acked, classic, queued };
}

function cwd(_t: Test): string {
  return fresh();
}

t.test('no store file yet: nothing on stdout, a hint on stderr, exit 0', async (t) => {
  const dataDir = path.join(fresh(), 'fresh');
  const r = await runCli(['history'], { cwd: cwd(t), dataDir });
  t.equal(r.code, 0);
  t.equal(r.stdout, '');
  t.match(r.stderr, /no messages stored yet/);
  t.match(r.stderr, path.join(dataDir, 'peerchat.db'));
  const j = await runCli(['history', '--json'], { cwd: cwd(t), dataDir });
  t.equal(j.code, 0);
  t.equal(j.stdout, '', '--json output stays clean NDJSON (empty)');
});

t.test('human lines: time, direction, peer, name, trust mark, text and state', async (t) => {
  const s = await seed(t);
  const r = await runCli(['history'], { cwd: cwd(t), dataDir: s.dir });
  t.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  const fp = fingerprint(ALICE_KEY);
  t.same(lines, [
    `[${localTime(s.incoming.ts)}] <- ${ALICE} alice (${fp}): hi from alice`,
    `[${localTime(s.acked.ts)}] -> ${ALICE} alice (${fp}): hi alice (acked)`,
    `[${localTime(s.classic.ts)}] -> ${BOB} bob (unverified): hello bob, lunch? (sent)`,
    `[${localTime(s.queued.ts)}] -> ${ALICE} alice (${fp}): are you there? Lunch (queued)`,
  ]);
  t.equal(r.stderr, '');
});

t.test('--json: one NDJSON message row per stored message, oldest first', async (t) => {
  const s = await seed(t);
  const r = await runCli(['history', '--json'], { cwd: cwd(t), dataDir: s.dir });
  t.equal(r.code, 0, r.stderr);
  const rows = r.stdout
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  t.same(
    rows.map((x) => x.id),
    [s.incoming.id, s.acked.id, s.classic.id, s.queued.id],
  );
  for (const row of rows) t.equal(row.type, 'message');
  t.match(rows[0], { direction: 'in', from: ALICE, key: ALICE_KEY, verified: true, state: 'acked' });
  t.match(rows[2], {
    direction: 'out',
    from: BOB,
    key: null,
    verified: false,
    protocol: 'classic',
    state: 'sent',
  });
  t.match(rows[3], { state: 'queued', error: null, text: s.queued.text });
});

t.test('target: address, key (any case) or name; --limit; --search', async (t) => {
  const s = await seed(t);
  const ids = async (...args: string[]) => {
    const r = await runCli(['history', ...args, '--json'], { cwd: cwd(t), dataDir: s.dir });
    t.equal(r.code, 0, r.stderr);
    return r.stdout === ''
      ? []
      : r.stdout
          .trimEnd()
          .split('\n')
          .map((l) => (JSON.parse(l) as { id: string }).id);
  };
  t.same(await ids(BOB), [s.classic.id], 'by address');
  t.same(await ids(ALICE), [s.incoming.id, s.acked.id, s.queued.id], 'by address');
  t.same(await ids(ALICE_KEY.toUpperCase()), [s.incoming.id, s.acked.id, s.queued.id], 'by key');
  t.same(await ids('bob'), [s.classic.id], 'by name');
  t.same(await ids('alice', '--limit', '2'), [s.acked.id, s.queued.id], 'the newest N, oldest first');
  t.same(await ids('--limit', '1'), [s.queued.id]);
  t.same(await ids('--search', 'LUNCH'), [s.classic.id, s.queued.id], 'search ignores case');
  t.same(await ids('alice', '--search', 'lunch'), [s.queued.id], 'target and search combine');
  t.same(await ids('carol'), [], 'an unknown name matches nothing');
  const none = await runCli(['history', 'carol'], { cwd: cwd(t), dataDir: s.dir });
  t.equal(none.stdout, '');
  t.match(none.stderr, /no stored messages match peer "carol"/);
});

t.test('by name walks back through more rows than one page', async (t) => {
  const dir = fresh();
  const store = Store.open({ dataDir: dir });
  const carol: string[] = [];
  const writes: Promise<boolean>[] = [];
  for (let i = 0; i < 1300; i++) {
    const named = i % 100 === 7;
    const m = message({
      name: named ? 'carol' : 'dave',
      from: named ? '127.0.0.1:6000' : ALICE,
      text: `m${i}`,
    });
    if (named) carol.push(m.id);
    writes.push(store.recordIncoming(m));
  }
  await Promise.all(writes);
  await store.close();
  const r = await runCli(['history', 'carol', '--limit', '10', '--json'], { cwd: cwd(t), dataDir: dir });
  t.equal(r.code, 0, r.stderr);
  const got = r.stdout
    .trimEnd()
    .split('\n')
    .map((l) => (JSON.parse(l) as { id: string }).id);
  t.same(got, carol.slice(-10), 'the 10 newest rows named carol, found across pages');
  t.equal(carol.length, 13);
});

t.test('reads while a peer holds the store open (no lock taken)', async (t) => {
  const s = await seed(t);
  const writer = Store.open({ dataDir: s.dir });
  t.teardown(() => writer.close());
  const later = message({ text: 'written while running' });
  await writer.recordIncoming(later);
  const r = await runCli(['history', '--json', '--limit', '1'], { cwd: cwd(t), dataDir: s.dir });
  t.equal(r.code, 0, r.stderr);
  t.match(JSON.parse(r.stdout), { id: later.id, text: 'written while running' });
});

t.test('store: false gives a clear usage error', async (t) => {
  const s = await seed(t);
  const r = await runCli(['history'], { cwd: cwd(t), dataDir: s.dir, env: { PEERCHAT_STORE: 'false' } });
  t.equal(r.code, 2);
  t.equal(r.stdout, '');
  t.match(r.stderr, /store: false/);
  t.match(r.stderr, /ERR_USAGE/);
  const j = await runCli(['history', '--json'], {
    cwd: cwd(t),
    dataDir: s.dir,
    env: { PEERCHAT_STORE: 'false' },
  });
  t.equal(j.code, 2);
  t.match(JSON.parse(j.stdout), { type: 'error', code: 'ERR_USAGE' });
});

t.test('bad --limit and an empty target exit 2', async (t) => {
  const s = await seed(t);
  for (const limit of ['0', '-3', '1.5', 'many']) {
    const r = await runCli(['history', '--limit', limit], { cwd: cwd(t), dataDir: s.dir });
    t.equal(r.code, 2, `--limit ${limit}`);
    t.match(r.stderr, /--limit/);
    t.notMatch(r.stderr, /NaN/, 'says what is wrong in words');
    t.equal(r.stdout, '');
  }
  const e = await runCli(['history', ' '], { cwd: cwd(t), dataDir: s.dir });
  t.equal(e.code, 2);
  t.match(e.stderr, /target is empty/);
});

t.test('a file that is not a database: exit 1 with the recovery hint', async (t) => {
  const dir = fresh();
  writeFileSync(
    path.join(dir, 'peerchat.db'),
    'this is not sqlite, just some text padding it out '.repeat(100),
  );
  const r = await runCli(['history'], { cwd: cwd(t), dataDir: dir });
  t.equal(r.code, 1);
  t.match(r.stderr, /ERR_STORE_CORRUPT/);
  t.match(r.stderr, /move it aside/);
});

t.test('--help documents the NDJSON rows', async (t) => {
  const r = await runCli(['history', '--help'], { cwd: cwd(t), dataDir: fresh() });
  t.equal(r.code, 0);
  t.match(r.stdout.replace(/\s+/g, ' '), /"type": "message" and the fields id, direction, peer,/);
  t.match(r.stdout, /--search/);
});

t.test('history --json and export use one field vocabulary (the real binary)', async (t) => {
  const { execa } = await import('execa');
  const { fileURLToPath } = await import('node:url');
  const bin = fileURLToPath(new URL('../../bin/peerchat.js', import.meta.url));
  const s = await seed(t);
  const home = fresh();
  const run = (args: string[]) =>
    execa(process.execPath, [bin, ...args, '--data-dir', s.dir], {
      cwd: home,
      env: { HOME: home, XDG_CONFIG_HOME: path.join(home, 'c'), NO_COLOR: '1' },
      extendEnv: false,
      reject: false,
      stdin: 'ignore',
      timeout: 30_000,
    });
  const parse = (out: string) =>
    out
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  const h = await run(['history', '--json']);
  t.equal(h.exitCode, 0, String(h.stderr));
  const history = parse(String(h.stdout));
  const exported = parse((await run(['export', '--format', 'jsonl'])).stdout);
  t.equal(history.length, 4);
  t.equal(exported.length, 4);
  const FIELDS = [
    'id',
    'direction',
    'peer',
    'name',
    'key',
    'fingerprint',
    'text',
    'protocol',
    'verified',
    'ts',
  ];
  for (const [i, h] of history.entries()) {
    const e = exported[i] ?? {};
    for (const f of [...FIELDS, 'state', 'error', 'createdAt', 'updatedAt'])
      t.same(h[f], e[f], `${f} is the same in both`);
    t.equal(h.from, h.peer, 'history keeps `from` as another name for `peer`');
    t.equal(e.created_at, e.createdAt, 'export keeps `created_at` beside `createdAt`');
  }
  const sent = history.find((h) => h.id === s.classic.id);
  t.match(sent, { direction: 'out', peer: BOB }, 'peer is the other side of a sent message: its recipient');
});
