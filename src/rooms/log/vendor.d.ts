// Minimal types for hypercore 11 and corestore 7: only what the room log uses.
declare module 'hypercore' {
  import { EventEmitter } from 'node:events';
  import type Protomux from 'protomux';

  namespace Hypercore {
    interface Peer {
      readonly protomux: Protomux;
      readonly remotePublicKey: Buffer | null;
      readonly remoteLength: number;
    }
    interface Range {
      done(): Promise<void>;
      destroy(): void;
    }
  }
  class Hypercore extends EventEmitter {
    readonly key: Buffer;
    readonly discoveryKey: Buffer;
    readonly length: number;
    readonly contiguousLength: number;
    readonly writable: boolean;
    readonly closed: boolean;
    readonly peers: Hypercore.Peer[];
    ready(): Promise<void>;
    append(block: Buffer | Buffer[]): Promise<{ length: number }>;
    get(index: number, opts?: { wait?: boolean; timeout?: number }): Promise<Buffer | null>;
    has(start: number, end?: number): Promise<boolean>;
    update(opts?: { wait?: boolean }): Promise<boolean>;
    download(range?: { start?: number; end?: number; linear?: boolean }): Hypercore.Range;
    clear(start: number, end?: number): Promise<unknown>;
    replicate(mux: Protomux): Protomux;
    close(): Promise<void>;
  }
  export = Hypercore;
}

declare module 'corestore' {
  import { EventEmitter } from 'node:events';
  import type Hypercore from 'hypercore';

  interface GetOptions {
    name?: string;
    key?: Buffer;
    encryption?: { key: Buffer } | null;
    createIfMissing?: boolean;
  }
  class Corestore extends EventEmitter {
    constructor(storage: string, opts?: Record<string, unknown>);
    ready(): Promise<void>;
    get(opts: GetOptions): Hypercore;
    close(): Promise<void>;
  }
  export = Corestore;
}
