// Minimal types for protomux 3.x: only what peerchat uses.
declare module 'protomux' {
  namespace Protomux {
    /** A compact-encoding codec. */
    interface Encoder<T = unknown> {
      preencode(state: { start: number; end: number; buffer: Uint8Array | null }, value: T): void;
      encode(state: { start: number; end: number; buffer: Uint8Array | null }, value: T): void;
      decode(state: { start: number; end: number; buffer: Uint8Array | null }): T;
    }
    interface MessageOptions<T = unknown> {
      encoding?: Encoder<T>;
      onmessage?: (message: T, channel: Channel) => unknown;
      autoBatch?: boolean;
    }
    interface Message<T = unknown> {
      type: number;
      send(message: T, channel?: Channel): boolean;
    }
    interface ChannelOptions<H = unknown> {
      protocol: string;
      id?: Buffer | null;
      aliases?: string[];
      unique?: boolean;
      userData?: unknown;
      handshake?: Encoder<H> | null;
      // biome-ignore lint/suspicious/noExplicitAny: message encodings differ per message
      messages?: Array<MessageOptions<any> | null>;
      onopen?: (handshake: H, channel: Channel) => unknown;
      onclose?: (isRemote: boolean, channel: Channel) => unknown;
      ondestroy?: (channel: Channel) => unknown;
      ondrain?: (channel: Channel) => unknown;
    }
    interface Channel {
      readonly protocol: string;
      readonly opened: boolean;
      readonly closed: boolean;
      readonly destroyed: boolean;
      readonly drained: boolean;
      // biome-ignore lint/suspicious/noExplicitAny: message encodings differ per message
      readonly messages: Array<Message<any>>;
      userData: unknown;
      open(handshake?: unknown): void;
      close(): void;
      cork(): void;
      uncork(): void;
      fullyOpened(): Promise<boolean>;
      fullyClosed(): Promise<void>;
    }
  }

  class Protomux {
    // biome-ignore lint/suspicious/noExplicitAny: any duplex with on/write/end/destroy/pause/resume
    constructor(stream: any, opts?: { alloc?: (size: number) => Buffer });
    // biome-ignore lint/suspicious/noExplicitAny: any duplex
    static from(stream: any): Protomux;
    // biome-ignore lint/suspicious/noExplicitAny: the transport given to the constructor
    readonly stream: any;
    readonly drained: boolean;
    readonly corked: number;
    createChannel<H = unknown>(opts: Protomux.ChannelOptions<H>): Protomux.Channel | null;
    pair(opts: { protocol: string; id?: Buffer | null }, notify: (id: Buffer | null) => unknown): void;
    unpair(opts: { protocol: string; id?: Buffer | null }): void;
    opened(opts: { protocol: string; id?: Buffer | null }): boolean;
    cork(): void;
    uncork(): void;
    destroy(err?: Error): void;
  }

  export = Protomux;
}
