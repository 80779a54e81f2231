/**
 * The DHT node behind rooms. hyperswarm and hyperdht are loaded here on the first join only (dynamic
 * import), so a peer that never joins a room loads no DHT code and sends nothing to the DHT. Keep
 * every import of them in src/rooms type-only, or dynamic here.
 */
import type NoiseSecretStream from '@hyperswarm/secret-stream';
import type HyperDHT from 'hyperdht';
import type Hyperswarm from 'hyperswarm';
import { PeerchatError } from '../errors.js';
import type { BootstrapNode } from './bootstrap.js';

export interface StartOptions {
  bootstrap: BootstrapNode[] | 'public';
  keyPair: { publicKey: Buffer; secretKey: Buffer };
  /** For loopback tests only; never fed from user config. */
  testOnly?: { firewalled?: false };
  onConnection(swarm: Hyperswarm, conn: NoiseSecretStream, info: Hyperswarm.PeerInfo): void;
}

/** Start a swarm on a bootstrapped DHT node; ERR_ROOM when no bootstrap node answered. */
export async function startSwarm(o: StartOptions): Promise<Hyperswarm> {
  const { bootstrap } = o;
  const [{ default: HyperswarmClass }, { default: HyperDHTClass }] = await Promise.all([
    import('hyperswarm'),
    import('hyperdht'),
  ]);
  // pass the public list explicitly: hyperdht must never choose it by default
  const nodes: Array<string | BootstrapNode> =
    bootstrap === 'public' ? [...HyperDHTClass.BOOTSTRAP] : bootstrap.map((n) => ({ ...n }));
  if (nodes.length === 0) throw new PeerchatError('ERR_ROOM_BOOTSTRAP');
  const dhtOpts: HyperDHT.Options = { bootstrap: nodes, keyPair: o.keyPair };
  if (o.testOnly?.firewalled === false) dhtOpts.firewalled = false;
  const dht = new HyperDHTClass(dhtOpts);
  const swarm = new HyperswarmClass({ keyPair: o.keyPair, dht });
  swarm.on('connection', (conn, info) => o.onConnection(swarm, conn, info));
  await dht.fullyBootstrapped();
  // without this check a join with dead bootstrap nodes "succeeds" after ~18 s, announced nowhere
  if (dht.toArray().length === 0) {
    await swarm.destroy({ force: true }).catch(() => {});
    const list =
      bootstrap === 'public'
        ? 'the public bootstrap nodes'
        : bootstrap.map((n) => `${n.host}:${n.port}`).join(', ');
    throw new PeerchatError(
      'ERR_ROOM',
      `no DHT node answered (dht.bootstrap: ${list}); check the list and that UDP to it is not blocked`,
    );
  }
  return swarm;
}

/** Resolves true when `p` settles in time, false when the deadline passes first. */
export async function withDeadline(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([
      p.then(
        () => true as const,
        () => true as const,
      ),
      deadline,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
