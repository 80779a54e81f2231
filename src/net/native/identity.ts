/**
 * The peer's Ed25519 identity: created on first start in `<dataDir>/identity/`, loaded afterwards.
 * A damaged key file is an error (ERR_IDENTITY), never silently replaced: the key is the peer's name.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import crypto from 'hypercore-crypto';
import { PeerchatError } from '../../errors.js';
import type { Identity } from '../../types.js';

export const IDENTITY_DIR = 'identity';
export const SECRET_KEY_FILE = 'secret.key';
export const PUBLIC_KEY_FILE = 'public.key';
const DIR_MODE = 0o700;
const FILE_MODE = 0o600;
const PUBLIC_HEX = /^[0-9a-f]{64}$/;
const SECRET_HEX = /^[0-9a-f]{128}$/;

/** Load the identity from `<dataDir>/identity/`, creating it on first start. */
export async function loadIdentity(dataDir: string): Promise<Identity> {
  const dir = join(dataDir, IDENTITY_DIR);
  const secretPath = join(dir, SECRET_KEY_FILE);
  const publicPath = join(dir, PUBLIC_KEY_FILE);
  try {
    await fs.mkdir(dir, { recursive: true, mode: DIR_MODE });
  } catch (err) {
    throw new PeerchatError('ERR_IDENTITY', `cannot create ${dir}: ${(err as Error).message}`, {
      cause: err,
    });
  }

  let secretHex = await readKeyFile(secretPath);
  if (secretHex === null) {
    if ((await readKeyFile(publicPath)) !== null) {
      throw new PeerchatError(
        'ERR_IDENTITY',
        `${secretPath} is missing but ${publicPath} exists; restore the key`,
      );
    }
    secretHex = await createSecret(secretPath);
  }
  if (!SECRET_HEX.test(secretHex)) {
    throw new PeerchatError('ERR_IDENTITY', `${secretPath} does not hold a 64-byte hex secret key`);
  }
  const secretKey = Buffer.from(secretHex, 'hex');
  // an Ed25519 secret key in sodium form is seed || public key
  const publicKey = Buffer.from(secretKey.subarray(32));
  if (!crypto.validateKeyPair({ publicKey, secretKey })) {
    throw new PeerchatError('ERR_IDENTITY', `${secretPath} does not hold a valid Ed25519 secret key`);
  }
  const id = publicKey.toString('hex');

  const publicHex = await readKeyFile(publicPath);
  if (publicHex === null) {
    await writeAtomic(publicPath, `${id}\n`);
  } else if (!PUBLIC_HEX.test(publicHex) || publicHex !== id) {
    throw new PeerchatError('ERR_IDENTITY', `${publicPath} does not match ${secretPath}`);
  }
  return { publicKey, secretKey, id, fingerprint: fingerprint(id) };
}

/** A short, human-comparable form of a hex key: 8 bytes of its SHA-256 in 4 groups. */
export function fingerprint(keyHex: string): string {
  const hex = createHash('sha256')
    .update(Buffer.from(keyHex.toLowerCase(), 'hex'))
    .digest('hex')
    .slice(0, 16);
  return `${hex.slice(0, 4)}:${hex.slice(4, 8)}:${hex.slice(8, 12)}:${hex.slice(12, 16)}`;
}

/** The key pair secret-stream takes. */
export function keyPairFromIdentity(identity: Identity): { publicKey: Buffer; secretKey: Buffer } {
  return { publicKey: identity.publicKey, secretKey: identity.secretKey };
}

/** The trimmed lowercase contents, or null when the file does not exist. */
async function readKeyFile(path: string): Promise<string | null> {
  try {
    return (await fs.readFile(path, 'utf8')).trim().toLowerCase();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new PeerchatError('ERR_IDENTITY', `cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/** Write a new secret key; link() refuses to replace one another process created meanwhile. */
async function createSecret(path: string): Promise<string> {
  const pair = crypto.keyPair();
  const hex = Buffer.from(pair.secretKey).toString('hex');
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    await fs.writeFile(tmp, `${hex}\n`, { mode: FILE_MODE });
    try {
      await fs.link(tmp, path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const existing = await readKeyFile(path);
      if (existing === null) throw err;
      return existing;
    }
    return hex;
  } catch (err) {
    if (err instanceof PeerchatError) throw err;
    throw new PeerchatError('ERR_IDENTITY', `cannot write ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  } finally {
    await fs.rm(tmp, { force: true });
  }
}

async function writeAtomic(path: string, data: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    await fs.writeFile(tmp, data, { mode: FILE_MODE });
    await fs.rename(tmp, path);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw new PeerchatError('ERR_IDENTITY', `cannot write ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}
