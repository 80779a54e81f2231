// Minimal types for @hyperswarm/secret-stream 6.x: only what peerchat uses.
declare module '@hyperswarm/secret-stream' {
  import { EventEmitter } from 'node:events';

  namespace NoiseSecretStream {
    interface KeyPair {
      publicKey: Buffer;
      secretKey: Buffer;
    }
    interface Options {
      keyPair?: KeyPair;
      /** Bytes already read from the raw stream. Caution: fed in before the stream opens (see docs/protocol.md). */
      data?: Buffer;
      ended?: boolean;
      keepAlive?: number;
      remotePublicKey?: Buffer;
      pattern?: string;
      autoStart?: boolean;
      enableSend?: boolean;
    }
  }

  /** A streamx Duplex (not a Node stream) carrying Noise-encrypted frames. */
  class NoiseSecretStream extends EventEmitter {
    constructor(isInitiator: boolean, rawStream?: unknown, opts?: NoiseSecretStream.Options);
    static keyPair(seed?: Buffer): NoiseSecretStream.KeyPair;
    readonly isInitiator: boolean;
    readonly noiseStream: NoiseSecretStream;
    /** The raw transport (net.Socket, UDX stream, or a wrapper). */
    // biome-ignore lint/suspicious/noExplicitAny: the raw transport differs per transport
    readonly rawStream: any;
    readonly publicKey: Buffer | null;
    /** Set once the Noise handshake completed. */
    readonly remotePublicKey: Buffer | null;
    readonly handshakeHash: Buffer | null;
    readonly connected: boolean;
    readonly opened: Promise<boolean>;
    readonly destroyed: boolean;
    readonly destroying: boolean;
    readonly rawBytesRead: number;
    readonly rawBytesWritten: number;
    userData: unknown;
    write(data: Buffer | Uint8Array | string): boolean;
    end(data?: Buffer): this;
    destroy(err?: Error | null): void;
    pause(): this;
    resume(): this;
    setTimeout(ms: number): void;
    setKeepAlive(ms: number): void;
    alloc(len: number): Buffer;
    flush(): Promise<boolean>;
  }

  export = NoiseSecretStream;
}
