/** Shared bits of the rooms tests that run inside the network namespace. */
import { randomBytes } from 'node:crypto';
import type NoiseSecretStream from '@hyperswarm/secret-stream';
import type { RoomConnectionInfo, RoomsOptions } from '../../src/rooms/swarm.js';
import { Rooms } from '../../src/rooms/swarm.js';

export const HELLO = Buffer.from('peerchat-test-hello');
const POLL_MS = 10;

/** A key pair like the peer's identity (secretKey = seed + public key), from hyperdht's own helper. */
export async function makeKeyPair(
  seed: Buffer = randomBytes(32),
): Promise<{ publicKey: Buffer; secretKey: Buffer }> {
  const { default: HyperDHT } = await import('hyperdht');
  return HyperDHT.keyPair(seed);
}

export interface TestPeer {
  rooms: Rooms;
  key: string;
  /** Open connections by remote key (the stand-in channel said hello both ways). */
  open: Map<string, NoiseSecretStream>;
  /** Every connection handed over, in order. */
  seen: Array<{ conn: NoiseSecretStream; info: RoomConnectionInfo }>;
  closed: Array<{ key: string; at: number }>;
}

/**
 * A Rooms instance whose "channel" is one hello each way: the connection counts as open when the
 * remote's hello arrives, which is what the lead's native session will signal with `ready`.
 */
export async function makePeer(
  bootstrap: unknown,
  opts: Partial<RoomsOptions> & { markOpen?: boolean } = {},
): Promise<TestPeer> {
  const keyPair = opts.keyPair ?? (await makeKeyPair());
  const open = new Map<string, NoiseSecretStream>();
  const seen: TestPeer['seen'] = [];
  const closed: TestPeer['closed'] = [];
  const rooms = new Rooms({
    keyPair,
    bootstrap,
    testOnly: { firewalled: false },
    ...opts,
    onConnection(conn, info) {
      seen.push({ conn, info });
      if (opts.onConnection) return opts.onConnection(conn, info);
      conn.on('close', () => {
        closed.push({ key: info.remoteKey, at: Date.now() });
        if (open.get(info.remoteKey) === conn) open.delete(info.remoteKey);
      });
      if (opts.markOpen === false) return;
      conn.write(HELLO);
      return new Promise<void>((resolve, reject) => {
        conn.once('data', (data: Buffer) => {
          if (!HELLO.equals(data)) return reject(new Error('not a hello'));
          open.set(info.remoteKey, conn);
          resolve();
        });
        conn.once('close', () => reject(new Error('closed before hello')));
      });
    },
  });
  return { rooms, key: keyPair.publicKey.toString('hex'), open, seen, closed };
}

/** Polls `check` until it is true; rejects after `ms`. */
export async function waitFor(check: () => boolean, ms: number, what = 'condition'): Promise<number> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  return Date.now() - start;
}

/** True when every peer has an open connection to every other peer. */
export function allPairs(peers: TestPeer[]): boolean {
  return peers.every((p) => peers.every((q) => q === p || p.open.has(q.key)));
}
