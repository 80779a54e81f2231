/**
 * Keys pinned on first use, like SSH known_hosts: `<dataDir>/known_hosts`, one `<address> <hex key>`
 * per line, `#` comments. Lines that do not parse are reported once and kept verbatim on rewrite,
 * so a damaged file loses nothing.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Warning } from '../../errors.js';

export const KNOWN_HOSTS_FILE = 'known_hosts';
const FILE_MODE = 0o600;
const KEY_HEX = /^[0-9a-f]{64}$/;
const HEADER = '# peerchat known hosts: <ip:port> <hex public key>. Edit with `peerchat trust`.';

export type HostCheck = 'new' | 'match' | 'mismatch';

export class KnownHosts {
  /** Problems found when the file was read (a damaged line, an unreadable file). */
  readonly warnings: Warning[] = [];
  private readonly keys = new Map<string, string>();
  /** Lines that did not parse, written back as they were. */
  private readonly kept: string[] = [];
  /** False when the file exists but could not be read: then it is never overwritten. */
  private writable: boolean;

  private constructor(
    readonly path: string | null,
    private readonly onWarning: ((warning: Warning) => void) | null,
  ) {
    this.writable = path !== null;
    if (path) this.load(path);
  }

  /**
   * The known_hosts of a data directory; null keeps the pins in memory only. Problems reading or
   * writing the file go to `onWarning` (and, for reading, into `warnings`); they never throw.
   */
  static open(dataDir: string | null, onWarning?: (warning: Warning) => void): KnownHosts {
    return new KnownHosts(dataDir === null ? null : join(dataDir, KNOWN_HOSTS_FILE), onWarning ?? null);
  }

  check(address: string, keyHex: string): HostCheck {
    const pinned = this.keys.get(address);
    if (pinned === undefined) return 'new';
    return pinned === keyHex.toLowerCase() ? 'match' : 'mismatch';
  }

  get(address: string): string | null {
    return this.keys.get(address) ?? null;
  }

  /** Pin the key of an address seen for the first time. Does not replace an existing pin. */
  pin(address: string, keyHex: string): void {
    if (this.keys.has(address)) return;
    this.set(address, keyHex);
  }

  /** Replace the pinned key deliberately (the user accepted a new key). */
  trust(address: string, keyHex: string): void {
    this.set(address, keyHex);
  }

  forget(address: string): void {
    if (this.keys.delete(address)) this.save();
  }

  /** Every pin, for listing. */
  entries(): Array<{ address: string; key: string }> {
    return [...this.keys].map(([address, key]) => ({ address, key }));
  }

  private set(address: string, keyHex: string): void {
    const key = keyHex.toLowerCase();
    if (!KEY_HEX.test(key)) throw new TypeError(`not a 32-byte hex key: ${keyHex}`);
    if (/\s/.test(address) || address.length === 0) throw new TypeError(`not an address: ${address}`);
    this.keys.set(address, key);
    this.save();
  }

  private load(path: string): void {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      this.writable = false;
      this.warn({
        code: 'ERR_IDENTITY',
        message: `cannot read ${path} (${(err as Error).message}); pins are kept in memory only`,
        cause: err,
      });
      return;
    }
    let bad = 0;
    for (const raw of text.split('\n')) {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) continue;
      const [address, key, ...rest] = line.split(/\s+/);
      if (address && key && rest.length === 0 && KEY_HEX.test(key.toLowerCase())) {
        this.keys.set(address, key.toLowerCase());
      } else {
        this.kept.push(raw);
        bad++;
      }
    }
    if (bad > 0) {
      this.warn({
        code: 'ERR_IDENTITY',
        message: `${path}: ${bad} line(s) could not be read and were ignored (kept in the file)`,
      });
    }
  }

  /** Write to a temporary file and rename it over the old one, so a crash leaves one or the other. */
  private save(): void {
    if (!this.path || !this.writable) return;
    const lines = [HEADER, ...[...this.keys].map(([a, k]) => `${a} ${k}`), ...this.kept];
    const tmp = `${this.path}.${process.pid}.tmp`;
    try {
      writeFileSync(tmp, `${lines.join('\n')}\n`, { mode: FILE_MODE });
      renameSync(tmp, this.path);
    } catch (err) {
      rmSync(tmp, { force: true });
      this.warn({
        code: 'ERR_IDENTITY',
        message: `cannot write ${this.path}: ${(err as Error).message}`,
        cause: err,
      });
    }
  }

  private warn(warning: Warning): void {
    this.warnings.push(warning);
    this.onWarning?.(warning);
  }
}
