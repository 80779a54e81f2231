// Minimal types for hyperswarm 4.x: only what peerchat uses.
declare module 'hyperswarm' {
  import { EventEmitter } from 'node:events';
  import type NoiseSecretStream from '@hyperswarm/secret-stream';
  import type HyperDHT from 'hyperdht';

  namespace Hyperswarm {
    interface Options {
      keyPair?: HyperDHT.KeyPair;
      /** Never pass undefined, null, false or []: hyperdht then uses the public nodes. */
      bootstrap?: Array<string | HyperDHT.Node>;
      dht?: HyperDHT;
      maxPeers?: number;
      /** Return true to reject (and ban) a remote key. */
      firewall?: (remotePublicKey: Buffer, payload: unknown) => boolean;
    }
    interface PeerInfo {
      publicKey: Buffer;
      /** Topics this peer was found under by our own lookups; empty for unsolicited server connections. */
      topics: Buffer[];
      client: boolean;
      banned: boolean;
      reconnect(value: boolean): void;
      ban(value: boolean): void;
    }
    interface PeerDiscoverySession {
      readonly topic: Buffer;
      flushed(): Promise<boolean>;
      refresh(opts?: { server?: boolean; client?: boolean; limit?: number }): Promise<boolean>;
      destroy(): Promise<void>;
    }
    /** Every swarm connection is a Noise stream over UDX, already authenticated. */
    type Connection = NoiseSecretStream;
  }

  class Hyperswarm extends EventEmitter {
    constructor(opts?: Hyperswarm.Options);
    readonly keyPair: HyperDHT.KeyPair;
    readonly dht: HyperDHT;
    readonly destroyed: boolean;
    readonly connections: Set<Hyperswarm.Connection>;
    readonly peers: Map<string, Hyperswarm.PeerInfo>;
    join(
      topic: Buffer,
      opts?: { server?: boolean; client?: boolean; limit?: number },
    ): Hyperswarm.PeerDiscoverySession;
    leave(topic: Buffer): Promise<void>;
    flush(): Promise<boolean>;
    listen(): Promise<void>;
    destroy(opts?: { force?: boolean }): Promise<void>;
    on(event: 'connection', listener: (conn: Hyperswarm.Connection, info: Hyperswarm.PeerInfo) => void): this;
    on(event: 'update', listener: () => void): this;
    on(event: string, listener: (...args: unknown[]) => void): this;
  }

  export = Hyperswarm;
}
