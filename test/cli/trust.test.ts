import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { fingerprint } from '../../src/net/native/identity.js';
import { KNOWN_HOSTS_FILE, KnownHosts } from '../../src/net/native/known-hosts.js';
import { runCli, sandbox } from './run-cli.js';

const fresh = sandbox(t);
const ADDRESS = '127.0.0.1:5001';

function key(): string {
  return randomBytes(32).toString('hex');
}

/** A data directory where ADDRESS is pinned to a key; resolves both. */
function pinned(): { dir: string; old: string } {
  const dir = fresh();
  const old = key();
  KnownHosts.open(dir).pin(ADDRESS, old);
  return { dir, old };
}

function fileOf(dir: string): string {
  return readFileSync(path.join(dir, KNOWN_HOSTS_FILE), 'utf8');
}

t.test('replaces a pinned key and says which one it replaced', async (t) => {
  const { dir, old } = pinned();
  const other = key();
  KnownHosts.open(dir).pin('127.0.0.1:5002', other);
  const next = key();
  const r = await runCli(['trust', ADDRESS, next], { cwd: fresh(), dataDir: dir });
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout, `trusted ${fingerprint(next)} for ${ADDRESS} (replaces ${fingerprint(old)})\n`);
  t.equal(KnownHosts.open(dir).get(ADDRESS), next, 'the file holds the new key');
  t.equal(KnownHosts.open(dir).get('127.0.0.1:5002'), other, 'other pins are kept');
  t.notMatch(fileOf(dir), old);
  t.equal(KnownHosts.open(dir).check(ADDRESS, next), 'match', 'a peer started now accepts the new key');
  const again = await runCli(['trust', ADDRESS, next], { cwd: fresh(), dataDir: dir });
  t.equal(again.code, 0);
  t.match(again.stdout, /\(already trusted\)\n$/);
});

t.test('a new address in a new data directory; key case and IPv6 forms are normalized', async (t) => {
  const dir = path.join(fresh(), 'new', 'data');
  const k = key();
  const r = await runCli(['trust', ' ::1:5000 ', k.toUpperCase()], { cwd: fresh(), dataDir: dir });
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout, `trusted ${fingerprint(k)} for [::1]:5000\n`);
  t.equal(KnownHosts.open(dir).get('[::1]:5000'), k, 'stored as the peer pins it, lower case');
  t.equal(statSync(path.join(dir, KNOWN_HOSTS_FILE)).mode & 0o777, 0o600);
  const mapped = await runCli(['trust', '[::ffff:127.0.1.2]:5000', k], { cwd: fresh(), dataDir: dir });
  t.equal(mapped.code, 0, mapped.stderr);
  t.equal(KnownHosts.open(dir).get('127.0.1.2:5000'), k, 'the IPv4-mapped prefix is stripped');
});

t.test('--json prints one result line', async (t) => {
  const { dir, old } = pinned();
  const next = key();
  const r = await runCli(['trust', ADDRESS, next, '--json'], { cwd: fresh(), dataDir: dir });
  t.equal(r.code, 0, r.stderr);
  t.same(JSON.parse(r.stdout), {
    type: 'result',
    value: {
      address: ADDRESS,
      key: next,
      fingerprint: fingerprint(next),
      previous: old,
      file: path.join(dir, KNOWN_HOSTS_FILE),
    },
  });
});

t.test('bad address, bad key or missing arguments: exit 2 and the file is unchanged', async (t) => {
  const { dir } = pinned();
  const before = fileOf(dir);
  const cases: [string[], RegExp][] = [
    [['trust', 'localhost:5001', key()], /not a valid "ip:port" address: "localhost:5001"/],
    [['trust', '127.0.0.1', key()], /not a valid "ip:port" address/],
    [['trust', '127.0.0.1:70000', key()], /not a valid "ip:port" address/],
    [['trust', ADDRESS, 'abc123'], /not a public key: "abc123" \(expected 64 hex digits/],
    [['trust', ADDRESS, `${key()}00`], /not a public key/],
    [['trust', ADDRESS, 'z'.repeat(64)], /not a public key/],
    [['trust', ADDRESS], /trust needs an address and a key/],
    [['trust'], /trust needs an address and a key/],
    [['trust', ADDRESS, key(), 'extra'], /unexpected argument|Unknown argument/],
    [['trust', '--list', ADDRESS], /--list takes no address/],
  ];
  for (const [args, message] of cases) {
    const r = await runCli(args, { cwd: fresh(), dataDir: dir });
    t.equal(r.code, 2, args.join(' '));
    t.match(r.stderr, message, args.join(' '));
    t.match(r.stderr, /ERR_USAGE/);
    t.equal(r.stdout, '');
  }
  t.equal(fileOf(dir), before);
  const j = await runCli(['trust', ADDRESS, 'nope', '--json'], { cwd: fresh(), dataDir: dir });
  t.equal(j.code, 2);
  t.match(JSON.parse(j.stdout), { type: 'error', code: 'ERR_USAGE' });
});

t.test('known_hosts cannot be written: exit 1 with the reason', async (t) => {
  const dir = fresh();
  mkdirSync(path.join(dir, KNOWN_HOSTS_FILE)); // a directory where the file should be
  const r = await runCli(['trust', ADDRESS, key()], { cwd: fresh(), dataDir: dir });
  t.equal(r.code, 1);
  t.match(r.stderr, /cannot save the key for 127\.0\.0\.1:5001/);
  t.match(r.stderr, /ERR_IDENTITY/);
  const file = path.join(fresh(), 'a-file');
  writeFileSync(file, 'not a directory');
  const f = await runCli(['trust', ADDRESS, key()], { cwd: fresh(), dataDir: file });
  t.equal(f.code, 1, 'the data directory is a file');
  t.match(f.stderr, /ERR_IDENTITY/);
});

t.test('a damaged line is kept and reported as a warning', async (t) => {
  const dir = fresh();
  writeFileSync(path.join(dir, KNOWN_HOSTS_FILE), 'garbage line here\n');
  const k = key();
  const r = await runCli(['trust', ADDRESS, k], { cwd: fresh(), dataDir: dir });
  t.equal(r.code, 0, r.stderr);
  t.match(r.stderr, /warning: .*1 line\(s\) could not be read/);
  t.match(fileOf(dir), /garbage line here/);
  t.equal(KnownHosts.open(dir).get(ADDRESS), k);
});

t.test('--list prints the pins', async (t) => {
  const { dir, old } = pinned();
  const k2 = key();
  KnownHosts.open(dir).pin('[::1]:5002', k2);
  const r = await runCli(['trust', '--list'], { cwd: fresh(), dataDir: dir });
  t.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  t.equal(lines.length, 2);
  t.match(lines[0], new RegExp(`^127\\.0\\.0\\.1:5001\\s+${fingerprint(old)}\\s+${old}$`));
  t.match(lines[1], new RegExp(`^\\[::1\\]:5002\\s+${fingerprint(k2)}\\s+${k2}$`));
  const j = await runCli(['trust', '--list', '--json'], { cwd: fresh(), dataDir: dir });
  t.same(
    j.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l)),
    [
      { type: 'known-host', address: ADDRESS, key: old, fingerprint: fingerprint(old) },
      { type: 'known-host', address: '[::1]:5002', key: k2, fingerprint: fingerprint(k2) },
    ],
  );
  const empty = path.join(fresh(), 'none');
  const e = await runCli(['trust', '--list'], { cwd: fresh(), dataDir: empty });
  t.equal(e.code, 0);
  t.equal(e.stdout, '');
  t.match(e.stderr, /no keys pinned yet/);
  t.notOk(existsSync(empty), 'listing creates nothing');
});

t.test('--help shows the command with the REPL alternative', async (t) => {
  const r = await runCli(['trust', '--help'], { cwd: fresh(), dataDir: fresh() });
  t.equal(r.code, 0);
  t.match(r.stdout, /peer\.trust\(address,\s+key\)/);
  t.match(r.stdout, /--list/);
});
