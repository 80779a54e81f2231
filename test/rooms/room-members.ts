/**
 * In-process room members on a testnet, for DHT test files (inside the namespace only: startTestnet
 * refuses to run elsewhere). Import it from `main`, after netnsTest.
 */
import type { Test } from 'tap';
import { startTestnet } from '../../integration/helpers/netns.js';
import type { PeerOptions } from '../../src/peer/options.js';
import type { Peer } from '../../src/peer/peer.js';
import type { ChatMessage } from '../../src/types.js';
import { nativePeer, tempDir } from '../helpers/peers.js';

/** A 10-node testnet, destroyed in `t`'s teardown; `member` starts Peers that use it. */
export async function roomTestnet(t: Test) {
  const testnet = await startTestnet();
  t.teardown(() => testnet.destroy());
  const bootstrap = testnet.bootstrap.map((n) => `${n.host}:${n.port}`);
  /** A Peer on this testnet; `got` collects the room messages it receives. */
  const member = async (t: Test, name: string, opts: Partial<PeerOptions> = {}) => {
    const dataDir = opts.dataDir ?? tempDir(t);
    const p = await nativePeer(t, name, {
      ...opts,
      dataDir,
      dht: { bootstrap, testOnly: { firewalled: false } },
    });
    const got: ChatMessage[] = [];
    p.on('message', (m) => {
      if (m.room) got.push(m);
    });
    return { p, got, dataDir };
  };
  return { bootstrap, member };
}

/** How many peers `p` has in `room` (0 when not joined). */
export function roomPeers(p: Peer, room: string): number {
  return p.rooms().find((r) => r.name === room)?.peers ?? 0;
}
