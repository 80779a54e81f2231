import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { Warning } from '../../../src/errors.js';
import { KnownHosts } from '../../../src/net/native/known-hosts.js';

const K1 = 'a1'.repeat(32);
const K2 = 'b2'.repeat(32);
const dataDir = () => mkdtempSync(join(tmpdir(), 'peerchat-kh-'));

t.test('pin on first use, match, mismatch, trust, forget', async (t) => {
  const hosts = KnownHosts.open(null);
  t.equal(hosts.check('1.2.3.4:5', K1), 'new');
  hosts.pin('1.2.3.4:5', K1);
  t.equal(hosts.check('1.2.3.4:5', K1), 'match');
  t.equal(hosts.check('1.2.3.4:5', K1.toUpperCase()), 'match', 'hex case does not matter');
  t.equal(hosts.check('1.2.3.4:5', K2), 'mismatch');
  hosts.pin('1.2.3.4:5', K2);
  t.equal(hosts.get('1.2.3.4:5'), K1, 'pin never replaces');
  hosts.trust('1.2.3.4:5', K2);
  t.equal(hosts.get('1.2.3.4:5'), K2, 'trust replaces deliberately');
  hosts.forget('1.2.3.4:5');
  t.equal(hosts.get('1.2.3.4:5'), null);
  t.throws(() => hosts.trust('x:1', 'short'), TypeError);
});

t.test('kept in <dataDir>/known_hosts, mode 0600, written atomically', async (t) => {
  const dir = dataDir();
  const hosts = KnownHosts.open(dir);
  hosts.pin('127.0.1.1:4000', K1);
  hosts.pin('127.0.1.2:4000', K2);
  const path = join(dir, 'known_hosts');
  t.equal(statSync(path).mode & 0o777, 0o600);
  t.match(readFileSync(path, 'utf8'), `127.0.1.1:4000 ${K1}`);
  t.strictSame(
    readdirSync(dir).filter((f) => f.includes('tmp')),
    [],
    'no temporary file left',
  );
  const reopened = KnownHosts.open(dir);
  t.equal(reopened.check('127.0.1.1:4000', K1), 'match');
  t.equal(reopened.check('127.0.1.2:4000', K1), 'mismatch');
  reopened.forget('127.0.1.1:4000');
  t.equal(KnownHosts.open(dir).get('127.0.1.1:4000'), null);
});

t.test('a damaged file: a warning, good lines used, bad lines kept', async (t) => {
  const dir = dataDir();
  const path = join(dir, 'known_hosts');
  writeFileSync(path, `# comment\n127.0.1.1:4000 ${K1}\n\u0000\u0001garbage here\n127.0.1.2:4000 nothex\n`);
  const warnings: Warning[] = [];
  const hosts = KnownHosts.open(dir, (w) => warnings.push(w));
  t.equal(warnings.length, 1);
  t.match(warnings[0]?.message, /2 line/);
  t.strictSame(hosts.warnings, warnings);
  t.equal(hosts.get('127.0.1.1:4000'), K1);
  hosts.pin('127.0.1.3:4000', K2);
  const text = readFileSync(path, 'utf8');
  t.match(text, '\u0000\u0001garbage here', 'the damaged line is still in the file');
  t.match(text, `127.0.1.3:4000 ${K2}`);
});

t.test('a trust made by another process (the CLI) is not undone by a running peer', async (t) => {
  const dir = dataDir();
  const running = KnownHosts.open(dir);
  running.pin('127.0.0.1:5000', K1);
  // `peerchat trust` runs beside it
  KnownHosts.open(dir).trust('127.0.0.1:5000', K2);
  t.equal(running.check('127.0.0.1:5000', K2), 'match', 'the running peer sees the trusted key');
  running.pinSoon('127.0.0.1:6000', K1);
  running.pinSoon('127.0.0.1:7000', K1);
  t.equal(KnownHosts.open(dir).get('127.0.0.1:6000'), null, 'pinSoon writes later');
  running.flush();
  const after = KnownHosts.open(dir);
  t.equal(after.get('127.0.0.1:5000'), K2, 'the trust survived the running peer saving');
  t.equal(after.get('127.0.0.1:6000'), K1);
  t.equal(after.get('127.0.0.1:7000'), K1);
});

t.test('a delayed save into a directory removed meanwhile is a warning, not a crash', async (t) => {
  const dir = dataDir();
  const warnings: Warning[] = [];
  const hosts = KnownHosts.open(dir, (w) => warnings.push(w));
  hosts.pinSoon('127.0.1.1:4000', K1);
  rmSync(dir, { recursive: true, force: true });
  const end = Date.now() + 10_000;
  while (warnings.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  t.match(warnings, [{ code: 'ERR_IDENTITY', message: /could not save/ }]);
  t.equal(hosts.get('127.0.1.1:4000'), K1, 'the pin is kept in memory');
});
