/**
 * The known_hosts file format: one `<address> <hex key>` per line, `#` comments, and lines that do
 * not parse kept verbatim (a damaged file loses nothing on rewrite). Parse, render, write in
 * slices, and the stat signature that tells a changed file apart without reading it.
 */
import type { Stats } from 'node:fs';
import { open } from 'node:fs/promises';

export const FILE_MODE = 0o600;
export const KEY_HEX = /^[0-9a-f]{64}$/;
const HEADER = '# peerchat known hosts: <ip:port> <hex public key>. Edit with `peerchat trust`.';
/** Lines written per slice by the asynchronous save. */
const WRITE_SLICE = 2048;

export interface KnownHostsText {
  keys: Map<string, string>;
  /** Lines that did not parse, written back as they were. */
  kept: string[];
}

/** "1.2.3.4:5" -> "1.2.3.4", "[::1]:5" -> "[::1]". */
export function hostOf(address: string): string {
  const colon = address.lastIndexOf(':');
  return colon > 0 ? address.slice(0, colon) : address;
}

/** What tells a changed file apart without reading it. */
export function signature(st: Stats | null): string {
  return st ? `${st.ino}:${st.size}:${st.mtimeMs}` : 'none';
}

export function parseKnownHosts(text: string): KnownHostsText {
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

export function renderKnownHosts({ keys, kept }: KnownHostsText): string {
  const lines = [HEADER, ...[...keys].map(([a, k]) => `${a} ${k}`), ...kept];
  return `${lines.join('\n')}\n`;
}

/** Write the file in slices, yielding between them: 65,535 pins never hold the event loop long. */
export async function writeKnownHostsChunked(path: string, { keys, kept }: KnownHostsText): Promise<void> {
  const fh = await open(path, 'w', FILE_MODE);
  try {
    let chunk: string[] = [HEADER];
    for (const [a, k] of keys) {
      chunk.push(`${a} ${k}`);
      if (chunk.length >= WRITE_SLICE) {
        await fh.write(`${chunk.join('\n')}\n`);
        chunk = [];
      }
    }
    chunk.push(...kept);
    if (chunk.length > 0) await fh.write(`${chunk.join('\n')}\n`);
  } finally {
    await fh.close();
  }
}
