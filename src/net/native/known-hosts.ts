/**
 * Keys pinned on first use, like SSH known_hosts: `<dataDir>/known_hosts` (the format: known-hosts-file.ts).
 * Lines that do not parse are reported once and kept verbatim on rewrite.
 *
 * Bounded and cheap under attack: at most MAX_PINS_PER_HOST automatic pins per IP (and MAX_PINS in
 * all; existing pins are never evicted, new ones are refused with ERR_PIN_LIMIT), the file is read
 * again only when its stat changed, automatic pins are saved asynchronously and coalesced, and
 * every read-merge-rename holds `known_hosts.lock` (file-lock.ts) against `peerchat trust`.
 */
import { readFileSync, renameSync, rmSync, type Stats, statSync, writeFileSync } from 'node:fs';
import { readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Warning } from '../../errors.js';
import { lock, lockSync, unlock } from './file-lock.js';
import {
  FILE_MODE,
  hostOf,
  KEY_HEX,
  type KnownHostsText,
  parseKnownHosts,
  renderKnownHosts,
  signature,
  writeKnownHostsChunked,
} from './known-hosts-file.js';

export const KNOWN_HOSTS_FILE = 'known_hosts';
/** New pins are written to the file together, at most this often. */
export const PIN_SAVE_DELAY_MS = 1000;
/** Automatic pins for one IP (ports of the peers at one host); `trust` is not limited. */
export const MAX_PINS_PER_HOST = 1024;
/** Automatic pins in all. */
export const MAX_PINS = 131_072;
/** Hosts remembered as already warned about (a warning per host, not per refused pin). */
const MAX_WARNED_HOSTS = 1024;

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
  /** Pins per IP, for MAX_PINS_PER_HOST. */
  private readonly perHost = new Map<string, number>();
  private readonly warnedHosts = new Set<string>();
  /** The file's stat signature when this instance last read or wrote it. */
  private seen = 'none';
  /** Bumped by every save; an async save that finds it changed drops its result. */
  private generation = 0;
  private saving: Promise<void> | null = null;
  /** True while an async save holds the lock (a synchronous save meanwhile then needs none). */
  private holdsLock = false;
  private tmpCount = 0;

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
    // (only when the file changed since: a stat, not a read, per mismatching handshake)
    if (this.path && this.writable && !this.dirty.has(address) && this.changedOnDisk()) {
      const current = this.read(this.path);
      if (current) this.merge(current.keys);
      if (this.keys.get(address) === key) return 'match';
    }
    return 'mismatch';
  }

  get(address: string): string | null {
    return this.keys.get(address) ?? null;
  }

  /** Pin the key of an address seen for the first time. Does not replace an existing pin. */
  pin(address: string, keyHex: string): void {
    if (this.keys.has(address) || !this.roomFor(address)) return;
    this.set(address, keyHex);
    this.flush();
  }

  /**
   * Like pin, but the file is written at most every PIN_SAVE_DELAY_MS, however many peers were
   * pinned meanwhile (a peer meeting many peers at once). A pin lost to a crash in that window is
   * only pinned again on the next connection; the Peer flushes on exit.
   */
  pinSoon(address: string, keyHex: string): void {
    if (this.keys.has(address) || !this.roomFor(address)) return;
    this.set(address, keyHex);
    this.scheduleSave();
  }

  /** Resolves once no asynchronous save is running (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.saving) await this.saving;
  }

  /** Replace the pinned key deliberately (the user accepted a new key). Written at once. */
  trust(address: string, keyHex: string): void {
    this.set(address, keyHex);
    this.flush();
  }

  forget(address: string): void {
    if (!this.keys.has(address)) return;
    this.delete(address);
    this.dirty.set(address, null);
    this.flush();
  }

  /** Write pending changes now, synchronously (exit, `peerchat trust`). */
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
    this.put(address, key);
    this.dirty.set(address, key);
  }

  /** The one way a key enters the map: keeps the per-host counts right. */
  private put(address: string, key: string): void {
    if (!this.keys.has(address)) {
      const host = hostOf(address);
      this.perHost.set(host, (this.perHost.get(host) ?? 0) + 1);
    }
    this.keys.set(address, key);
  }

  private delete(address: string): void {
    if (!this.keys.delete(address)) return;
    const host = hostOf(address);
    const n = (this.perHost.get(host) ?? 1) - 1;
    if (n > 0) this.perHost.set(host, n);
    else this.perHost.delete(host);
  }

  /** Room for one more automatic pin of this address; a coded warning (once per host) when not. */
  private roomFor(address: string): boolean {
    const host = hostOf(address);
    const perHost = (this.perHost.get(host) ?? 0) < MAX_PINS_PER_HOST;
    if (perHost && this.keys.size < MAX_PINS) return true;
    if (!this.warnedHosts.has(host) && this.warnedHosts.size < MAX_WARNED_HOSTS) {
      this.warnedHosts.add(host);
      this.warn({
        code: 'ERR_PIN_LIMIT',
        message: perHost
          ? `known_hosts holds ${MAX_PINS} pins; ${address} and later new addresses are not pinned`
          : `known_hosts holds ${MAX_PINS_PER_HOST} pins for ${host}; ${address} and later new ports there are not pinned (existing pins are kept; \`peerchat trust\` still pins)`,
      });
    }
    return false;
  }

  /** Merge keys read from the file: changes made here and not saved yet win. */
  private merge(fromFile: Map<string, string>): void {
    for (const [a, k] of fromFile) if (!this.dirty.has(a)) this.put(a, k);
    for (const [a, k] of this.dirty) if (k === null) this.delete(a);
  }

  private changedOnDisk(): boolean {
    if (!this.path) return false;
    let st: Stats | null = null;
    try {
      st = statSync(this.path);
    } catch {
      st = null;
    }
    return signature(st) !== this.seen;
  }

  private statSeen(): void {
    try {
      this.seen = signature(this.path ? statSync(this.path) : null);
    } catch {
      this.seen = 'none';
    }
  }

  private contents(): KnownHostsText {
    return { keys: this.keys, kept: this.kept };
  }

  private tmpPath(): string {
    return `${this.path}.${process.pid}.${++this.tmpCount}.tmp`;
  }

  private get lockPath(): string {
    return `${this.path}.lock`;
  }

  private scheduleSave(): void {
    if (this.saveScheduled) return;
    this.saveScheduled = true;
    setTimeout(() => {
      if (!this.saveScheduled) return; // a synchronous flush came first
      this.saveScheduled = false;
      if (this.saving || this.dirty.size === 0) return;
      // a failed save (the directory removed under a stopping peer) is a warning, never a crash
      let failed = false;
      this.saving = this.saveAsync()
        .catch((err: unknown) => {
          failed = true; // not retried on a timer; the next pin or flush() tries again
          this.warn({
            code: 'ERR_IDENTITY',
            message: `could not save ${this.path}: ${err instanceof Error ? err.message : String(err)}`,
          });
        })
        .finally(() => {
          this.saving = null;
          if (!failed && this.dirty.size > 0) this.scheduleSave(); // pins that came during the save
        });
    }, PIN_SAVE_DELAY_MS).unref();
  }

  /** The automatic save: file I/O off the event loop; reads the file only when it changed. */
  private async saveAsync(): Promise<void> {
    if (!this.path || !this.writable) {
      this.dirty.clear();
      return;
    }
    const path = this.path;
    const gen = ++this.generation;
    if (!(await lock(this.lockPath))) {
      this.warn({
        code: 'ERR_IDENTITY',
        message: `${this.lockPath} is held by another process; pins are saved later`,
      });
      return;
    }
    this.holdsLock = true;
    const tmp = this.tmpPath();
    try {
      const st = await stat(path).catch(() => null);
      if (signature(st) !== this.seen && st) {
        const current = parseKnownHosts(await readFile(path, 'utf8'));
        if (gen !== this.generation) return;
        this.merge(current.keys);
      }
      const saved = new Map(this.dirty);
      this.dirty.clear();
      await writeKnownHostsChunked(tmp, this.contents());
      if (gen !== this.generation) {
        // a synchronous save wrote a newer file meanwhile; it held our changes too
        await rm(tmp, { force: true });
        return;
      }
      try {
        await rename(tmp, path);
      } catch (err) {
        for (const [a, k] of saved) if (!this.dirty.has(a)) this.dirty.set(a, k);
        throw err;
      }
      this.seen = signature(await stat(path).catch(() => null));
    } catch (err) {
      await rm(tmp, { force: true });
      this.warn({
        code: 'ERR_IDENTITY',
        message: `cannot write ${path}: ${(err as Error).message}`,
        cause: err,
      });
    } finally {
      this.holdsLock = false;
      unlock(this.lockPath);
    }
  }

  /** Parse the file; null when it cannot be read (ENOENT is an empty file). Records its stat. */
  private read(path: string): KnownHostsText | null {
    let text: string;
    try {
      this.statSeen();
      text = readFileSync(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { keys: new Map(), kept: [] };
      return null;
    }
    return parseKnownHosts(text);
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
    for (const [a, k] of parsed.keys) this.put(a, k);
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
    // an async save of this instance holds the lock already: this save supersedes it
    const locked = this.holdsLock || lockSync(this.lockPath);
    if (!locked) {
      this.warn({
        code: 'ERR_IDENTITY',
        message: `${this.lockPath} is held by another process; cannot save ${this.path} now`,
      });
      return;
    }
    this.generation++;
    const tmp = this.tmpPath();
    try {
      // merge into the file as it is now, so a `peerchat trust` made meanwhile is not undone
      if (this.changedOnDisk()) {
        const current = this.read(this.path);
        if (current) this.merge(current.keys);
      }
      this.dirty.clear();
      writeFileSync(tmp, renderKnownHosts(this.contents()), { mode: FILE_MODE });
      renameSync(tmp, this.path);
      this.statSeen();
    } catch (err) {
      rmSync(tmp, { force: true });
      this.warn({
        code: 'ERR_IDENTITY',
        message: `cannot write ${this.path}: ${(err as Error).message}`,
        cause: err,
      });
    } finally {
      if (!this.holdsLock) unlock(this.lockPath);
    }
  }

  private warn(warning: Warning): void {
    this.warnings.push(warning);
    this.onWarning?.(warning);
  }
}
