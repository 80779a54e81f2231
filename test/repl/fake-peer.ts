import type { Readable } from 'node:stream';
import { PeerchatError } from '../../src/errors.js';
import type { ConnectOptions, ContactInfo, PeerApi, SayResult, SendOptions } from '../../src/peer/api.js';
import { matchContacts } from '../../src/store/contacts.js';
import type { ChatMessage, PeerInfo, SendResult } from '../../src/types.js';
import { NoStorePeer } from '../helpers/no-store-peer.js';

let seq = 0;
const POLL_MS = 10;

export function makePeerInfo(partial: Partial<PeerInfo> & { address: string }): PeerInfo {
  return {
    name: null,
    key: null,
    fingerprint: null,
    protocol: 'classic',
    connected: false,
    via: 'tcp',
    ...partial,
  };
}

export function makeMessage(partial: Partial<ChatMessage> & { from: string; text: string }): ChatMessage {
  return {
    id: `msg-${++seq}`,
    name: null,
    protocol: 'classic',
    verified: false,
    key: null,
    fingerprint: null,
    ts: Date.UTC(2026, 0, 2, 3, 4, 5),
    direction: 'in',
    ...partial,
  };
}

export class FakePeer extends NoStorePeer implements PeerApi {
  name = 'me';
  host = '127.0.0.1';
  port = 5000;
  id: string | null = 'ab'.repeat(32);
  fingerprint: string | null = 'abab:abab:abab:abab';
  peers: PeerInfo[] = [];
  /** Every call, in order: "send alice hi", "connect 1.2.3.4:5", ... */
  calls: string[] = [];
  pendingQueue: ChatMessage[] = [];
  chatTarget: string | null = null;
  chatTargets: (string | null)[] = [];
  /** When set, `send` awaits this instead of answering at once. */
  sendImpl: ((target: PeerInfo, text: string) => Promise<SendResult>) | null = null;
  /** Emit 'message' even for messages held as pending (the other reading of the contract). */
  emitHeld = false;
  exited = false;

  get address(): string {
    return `${this.host}:${this.port}`;
  }

  addPeer(partial: Partial<PeerInfo> & { address: string }): PeerInfo {
    const info = makePeerInfo(partial);
    this.peers.push(info);
    return info;
  }

  /** An incoming message: held as pending while chatting with someone else, else emitted. */
  deliver(partial: Partial<ChatMessage> & { from: string; text: string }): ChatMessage {
    const msg = makeMessage(partial);
    const held = this.chatTarget !== null && msg.from !== this.chatTarget;
    if (held) this.pendingQueue.push(msg);
    if (!held || this.emitHeld) this.emit('message', msg);
    return msg;
  }

  resolve(target: string): PeerInfo {
    const byAddress = this.peers.find((p) => p.address === target);
    if (byAddress) return byAddress;
    const byName = this.peers.filter((p) => p.name === target);
    if (byName.length > 1) {
      throw new PeerchatError(
        'ERR_AMBIGUOUS_TARGET',
        `"${target}" matches ${byName.map((p) => p.address).join(', ')}`,
      );
    }
    const [only] = byName;
    if (!only) throw new PeerchatError('ERR_UNKNOWN_TARGET', `no peer matches "${target}"`);
    return only;
  }

  async send(target: string, text: string, _opts?: SendOptions): Promise<SendResult> {
    this.calls.push(`send ${target} ${text}`);
    const info = this.resolve(target);
    if (this.sendImpl) return this.sendImpl(info, text);
    return { id: `out-${++seq}`, to: info.address, protocol: info.protocol ?? 'classic', state: 'sent' };
  }

  async broadcast(text: string): Promise<SendResult[]> {
    this.calls.push(`broadcast ${text}`);
    return Promise.all(this.connectedPeers().map((p) => this.send(p.address, text)));
  }

  async connect(address: string, _opts?: ConnectOptions): Promise<PeerInfo> {
    this.calls.push(`connect ${address}`);
    const info = this.peers.find((p) => p.address === address) ?? this.addPeer({ address });
    info.connected = true;
    this.emit('peer-connected', info);
    return info;
  }

  async connectAll(): Promise<PeerInfo[]> {
    this.calls.push('connectAll');
    const todo = this.peers.filter((p) => !p.connected);
    return Promise.all(todo.map((p) => this.connect(p.address)));
  }

  async query(target: string): Promise<string[]> {
    this.calls.push(`query ${target}`);
    const info = this.resolve(target);
    return this.peers.map((p) => p.address).filter((a) => a !== info.address);
  }

  activePeers(): PeerInfo[] {
    return [...this.peers];
  }

  connectedPeers(): PeerInfo[] {
    return this.peers.filter((p) => p.connected);
  }

  takePending(): ChatMessage[] {
    return this.pendingQueue.splice(0);
  }

  /** As Peer#peekPending: what is held, not taken. */
  peekPending(): readonly ChatMessage[] {
    return this.pendingQueue;
  }

  setChatTarget(address: string | null): void {
    this.chatTarget = address;
    this.chatTargets.push(address);
  }

  async ready(): Promise<PeerInfo[]> {
    this.calls.push('ready');
    return this.connectedPeers();
  }
  /** The contact book the tests set. */
  book: ContactInfo[] = [];
  contacts(target?: string): ContactInfo[] {
    this.calls.push(`contacts ${target ?? ''}`.trim());
    if (target === undefined) return this.book;
    // as the Peer: a whole key is an identity, else names, key prefixes and addresses
    if (/^[0-9a-f]{64}$/.test(target)) return this.book.filter((c) => c.key === target);
    return matchContacts(this.book, target) as ContactInfo[];
  }
  trust(address: string, key: string): void {
    this.calls.push(`trust ${address} ${key}`);
  }

  override async say(room: string, text: string): Promise<SayResult> {
    this.calls.push(`say ${room} ${text}`);
    return super.say(room, text);
  }

  async exit(): Promise<void> {
    this.calls.push('exit');
    this.exited = true;
  }
}

/** Collects everything written to a stream as text. */
export function collect(stream: Readable): { text(): string } {
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buf += chunk;
  });
  return { text: () => buf };
}

/**
 * Resolves once `read()` satisfies `test` (checked on output and polled); rejects after `timeoutMs`.
 * The default leaves room for tests over real stored peers: a first stored send waits for the
 * writer thread to start, which took 2-4 s under tap's TypeScript loader on a loaded machine.
 */
export function waitFor(
  stream: Readable,
  read: () => string,
  test: RegExp | ((text: string) => boolean),
  timeoutMs = 15_000,
): Promise<string> {
  const ok = (t: string) => (typeof test === 'function' ? test(t) : test.test(t));
  return new Promise((resolve, reject) => {
    const check = () => {
      const t = read();
      if (!ok(t)) return;
      cleanup();
      resolve(t);
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`timed out waiting for ${String(test)}; got:\n${JSON.stringify(read())}`));
    }, timeoutMs);
    // state that changes without output (a call recorded, onQuit called) is polled
    const poll = setInterval(check, POLL_MS);
    const cleanup = () => {
      clearTimeout(timer);
      clearInterval(poll);
      stream.off('data', onData);
    };
    // after this chunk was collected
    const onData = () => setImmediate(check);
    stream.on('data', onData);
    check();
  });
}

/** A promise with its resolve function, to release an awaited operation from a test. */
export function deferred<T>(): { promise: Promise<T>; resolve(value: T): void; reject(err: unknown): void } {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
