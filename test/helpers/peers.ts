/** Start Peers on 127.0.0.1:0 with fresh identities in temp data dirs; everything is closed in teardown. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import { loadIdentity } from '../../src/net/native/identity.js';
import type { PeerOptions } from '../../src/peer/options.js';
import { Peer } from '../../src/peer/peer.js';

export function tempDir(t: Test, prefix = 'peerchat-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export async function nativePeer(t: Test, name: string, opts: Partial<PeerOptions> = {}): Promise<Peer> {
  const dataDir = opts.dataDir ?? tempDir(t);
  const identity = opts.identity === undefined ? await loadIdentity(dataDir) : opts.identity;
  const peer = new Peer({ name, host: '127.0.0.1', port: 0, ...opts, dataDir, identity });
  await peer.listen();
  t.teardown(() => peer.exit());
  return peer;
}
