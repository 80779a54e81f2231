import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { fingerprint, keyPairFromIdentity, loadIdentity } from '../../../src/net/native/identity.js';

const dataDir = () => mkdtempSync(join(tmpdir(), 'peerchat-id-'));

t.test('created on first start with private modes, the same afterwards', async (t) => {
  const dir = dataDir();
  const first = await loadIdentity(dir);
  t.equal(first.publicKey.byteLength, 32);
  t.equal(first.secretKey.byteLength, 64);
  t.equal(first.id, first.publicKey.toString('hex'));
  t.match(first.fingerprint, /^[0-9a-f]{4}(:[0-9a-f]{4}){3}$/);
  const secretPath = join(dir, 'identity', 'secret.key');
  t.equal(statSync(secretPath).mode & 0o777, 0o600, 'secret.key is 0600');
  t.equal(statSync(join(dir, 'identity', 'public.key')).mode & 0o777, 0o600, 'public.key is 0600');
  t.equal(statSync(join(dir, 'identity')).mode & 0o777, 0o700, 'the directory is 0700');
  t.equal(readFileSync(join(dir, 'identity', 'public.key'), 'utf8').trim(), first.id);
  const again = await loadIdentity(dir);
  t.equal(again.id, first.id, 'loaded, not recreated');
  t.ok(again.secretKey.equals(first.secretKey));
  t.strictSame(keyPairFromIdentity(again), { publicKey: again.publicKey, secretKey: again.secretKey });
  const other = await loadIdentity(dataDir());
  t.not(other.id, first.id, 'another data dir, another identity');
});

t.test('a damaged key file is ERR_IDENTITY naming the path, and is left alone', async (t) => {
  const dir = dataDir();
  await loadIdentity(dir);
  const secretPath = join(dir, 'identity', 'secret.key');
  writeFileSync(secretPath, 'not a key\n');
  await t.rejects(loadIdentity(dir), {
    code: 'ERR_IDENTITY',
    message: new RegExp(secretPath.replace(/\//g, '\\/')),
  });
  t.equal(readFileSync(secretPath, 'utf8'), 'not a key\n', 'never silently overwritten');

  // valid hex, but not a key pair
  writeFileSync(secretPath, `${'ab'.repeat(64)}\n`);
  await t.rejects(loadIdentity(dir), { code: 'ERR_IDENTITY' });
});

t.test('a public.key that does not match, or a missing secret.key, is ERR_IDENTITY', async (t) => {
  const dir = dataDir();
  await loadIdentity(dir);
  const publicPath = join(dir, 'identity', 'public.key');
  writeFileSync(publicPath, `${'0'.repeat(64)}\n`);
  await t.rejects(loadIdentity(dir), { code: 'ERR_IDENTITY', message: /does not match/ });

  const lonely = dataDir();
  await loadIdentity(lonely);
  const { rmSync } = await import('node:fs');
  rmSync(join(lonely, 'identity', 'secret.key'));
  await t.rejects(loadIdentity(lonely), { code: 'ERR_IDENTITY', message: /missing/ });
});

t.test('fingerprint: short, stable, differs per key', async (t) => {
  const a = '11'.repeat(32);
  const b = '12'.repeat(32);
  t.equal(fingerprint(a), fingerprint(a));
  t.equal(fingerprint(a.toUpperCase()), fingerprint(a), 'case does not matter');
  t.not(fingerprint(a), fingerprint(b));
  t.equal(fingerprint(a).length, 19);
});
