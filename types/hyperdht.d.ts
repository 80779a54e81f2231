// Minimal types for hyperdht 6.x: only what peerchat uses.
declare module 'hyperdht' {
  import { EventEmitter } from 'node:events';

  namespace HyperDHT {
    interface KeyPair {
      publicKey: Buffer;
      secretKey: Buffer;
    }
    interface Node {
      host: string;
      port: number;
    }
    interface Options {
      /** Never pass undefined, null, false or []: hyperdht then uses the public nodes. */
      bootstrap: Array<string | Node>;
      keyPair?: KeyPair;
      port?: number;
      host?: string;
      ephemeral?: boolean;
      /** Unsafe outside loopback tests. */
      firewalled?: boolean;
      connectionKeepAlive?: number | false;
    }
    interface LookupReply {
      from: Node;
      peers: Array<{ publicKey: Buffer; relayAddresses: Node[] }>;
    }
  }

  class HyperDHT extends EventEmitter {
    constructor(opts: HyperDHT.Options);
    /** The public network's bootstrap nodes ("ip@host:port"). */
    static BOOTSTRAP: string[];
    static keyPair(seed?: Buffer): HyperDHT.KeyPair;
    readonly destroyed: boolean;
    readonly firewalled: boolean;
    readonly bootstrapped: boolean;
    fullyBootstrapped(): Promise<void>;
    ready(): Promise<void>;
    address(): { host: string; port: number };
    /** Nodes in the routing table. */
    toArray(opts?: { limit?: number }): HyperDHT.Node[];
    lookup(topic: Buffer): AsyncIterable<HyperDHT.LookupReply> & { destroy(): void };
    destroy(opts?: { force?: boolean }): Promise<void>;
  }

  export = HyperDHT;
}
