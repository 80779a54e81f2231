/**
 * Keys pinned on first use, like SSH known_hosts: `<dataDir>/known_hosts`, one `<address> <hex key>`
 * per line, `#` comments. Lines that do not parse are reported once and kept verbatim on rewrite,
 * so a damaged file loses nothing.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Warning } from '../../errors.js';

export const KNOWN_HOSTS_FILE = 'known_hosts';
/** New pins are written to the file together, at most this often. */
export const PIN_SAVE_DELAY_MS = 1000;
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
  /** Changes made here since the last save (null: forgotten); merged into the file as it is then. */
  private readonly dirty = new Map<string, string | null>();
  private saveScheduled = false;

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
    const key = keyHex.toLowerCase();
    const pinned = this.keys.get(address);
    if (pinned === undefined) return 'new';
    if (pinned === key) return 'match';
    // `peerchat trust` may have accepted the new key while this peer runs: look at the file again
    if (this.path && this.writable && !this.dirty.has(address)) {
      const fresh = this.read(this.path)?.keys.get(address);
      if (fresh !== undefined) this.keys.set(address, fresh);
      if (fresh === key) return 'match';
    }
    return 'mismatch';
  }

  get(address: string): string | null {
    return this.keys.get(address) ?? null;
  }

  /** Pin the key of an address seen for the first time. Does not replace an existing pin. */
  pin(address: string, keyHex: string): void {
    if (this.keys.has(address)) return;
    this.set(address, keyHex);
    this.flush();
  }

  /**
   * Like pin, but the file is written at most every PIN_SAVE_DELAY_MS, however many peers were
   * pinned meanwhile (a peer meeting many peers at once). A pin lost to a crash in that window is
   * only pinned again on the next connection; the Peer flushes on exit.
   */
  pinSoon(address: string, keyHex: string): void {
    if (this.keys.has(address)) return;
    this.set(address, keyHex);
    if (this.saveScheduled) return;
    this.saveScheduled = true;
    setTimeout(() => this.flush(), PIN_SAVE_DELAY_MS).unref();
  }

  /** Replace the pinned key deliberately (the user accepted a new key). Written at once. */
  trust(address: string, keyHex: string): void {
    this.set(address, keyHex);
    this.flush();
  }

  forget(address: string): void {
    if (!this.keys.delete(address)) return;
    this.dirty.set(address, null);
    this.flush();
  }

  /** Write pending changes now. */
  flush(): void {
    this.saveScheduled = false;
    if (this.dirty.size > 0) this.save();
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
    this.dirty.set(address, key);
  }

  /** Parse the file; null when it cannot be read (ENOENT is an empty file). */
  private read(path: string): { keys: Map<string, string>; kept: string[] } | null {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { keys: new Map(), kept: [] };
      return null;
    }
    const keys = new Map<string, string>();
    const kept: string[] = [];
    for (const raw of text.split('\n')) {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) continue;
      const [address, key, ...rest] = line.split(/\s+/);
      if (address && key && rest.length === 0 && KEY_HEX.test(key.toLowerCase())) {
        keys.set(address, key.toLowerCase());
      } else {
        kept.push(raw);
      }
    }
    return { keys, kept };
  }

  private load(path: string): void {
    const parsed = this.read(path);
    if (!parsed) {
      this.writable = false;
      this.warn({
        code: 'ERR_IDENTITY',
        message: `cannot read ${path}; pins are kept in memory only`,
      });
      return;
    }
    for (const [a, k] of parsed.keys) this.keys.set(a, k);
    this.kept.push(...parsed.kept);
    const bad = parsed.kept.length;
    if (bad > 0) {
      this.warn({
        code: 'ERR_IDENTITY',
        message: `${path}: ${bad} line(s) could not be read and were ignored (kept in the file)`,
      });
    }
  }

  /** Write to a temporary file and rename it over the old one, so a crash leaves one or the other. */
  private save(): void {
    if (!this.path || !this.writable) {
      this.dirty.clear();
      return;
    }
    // merge into the file as it is now, so a `peerchat trust` made meanwhile is not undone
    const current = this.read(this.path);
    if (current) {
      for (const [a, k] of current.keys) if (!this.dirty.has(a)) this.keys.set(a, k);
      for (const [a, k] of this.dirty) if (k === null) this.keys.delete(a);
    }
    this.dirty.clear();
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
