// Minimal types for @hyperswarm/testnet 3.x (a re-export of hyperdht/testnet).
declare module '@hyperswarm/testnet' {
  import type HyperDHT from 'hyperdht';

  namespace createTestnet {
    interface Testnet {
      nodes: HyperDHT[];
      bootstrap: Array<{ host: string; port: number }>;
      createNode(opts?: Partial<HyperDHT.Options>): HyperDHT;
      destroy(): Promise<void>;
      [Symbol.iterator](): Iterator<HyperDHT>;
    }
  }

  function createTestnet(
    size?: number,
    opts?: { host?: string; port?: number; bootstrap?: Array<{ host: string; port: number }> },
  ): Promise<createTestnet.Testnet>;

  export = createTestnet;
}
