import { PeerchatError } from '../../../src/errors.js';
import type { ContactInfo, PeerApi, PeerEvents, SendOptions } from '../../../src/peer/api.js';
import type { Interceptors } from '../../../src/peer/options.js';
import type { ChatMessage, PeerInfo, SendResult } from '../../../src/types.js';
import { NoStorePeer } from '../../helpers/no-store-peer.js';

let counter = 0;

export function makeMessage(fields: Partial<ChatMessage> = {}): ChatMessage {
  counter++;
  return {
    id: `msg-${counter}`,
    from: '127.0.0.1:4001',
    name: 'alice',
    text: 'hello',
    protocol: 'native',
    verified: true,
    key: 'aa'.repeat(32),
    fingerprint: 'aaaa:aaaa:aaaa:aaaa',
    ts: Date.now(),
    direction: 'in',
    ...fields,
  };
}

export function makePeerInfo(fields: Partial<PeerInfo> = {}): PeerInfo {
  return {
    address: '127.0.0.1:4001',
    name: 'alice',
    key: 'aa'.repeat(32),
    fingerprint: 'aaaa:aaaa:aaaa:aaaa',
    protocol: 'native',
    connected: true,
    via: 'tcp',
    ...fields,
  };
}

export interface SentRecord {
  target: string;
  text: string;
  opts?: SendOptions;
}

export class FakePeer extends NoStorePeer implements PeerApi {
  readonly name: string;
  readonly host = '127.0.0.1';
  readonly port = 4000;
  readonly address = '127.0.0.1:4000';
  readonly id: string | null = 'bb'.repeat(32);
  readonly fingerprint: string | null = 'bbbb:bbbb:bbbb:bbbb';
  /** Every send, after transformOutgoing (dropped ones are not recorded). */
  readonly sent: SentRecord[] = [];
  /** Incoming messages that reached 'message' (after transformIncoming). */
  readonly delivered: ChatMessage[] = [];
  peers: PeerInfo[] = [];
  readonly interceptors: Readonly<Interceptors>;

  constructor(options: { name?: string; interceptors?: Interceptors } = {}) {
    super();
    this.name = options.name ?? 'me';
    this.interceptors = options.interceptors ?? {};
  }

  /** Simulate an incoming message: transformIncoming, then 'message' unless dropped. */
  async receive(fields: Partial<ChatMessage> = {}): Promise<ChatMessage | null> {
    const msg = makeMessage(fields);
    const out = this.interceptors.incoming ? await this.interceptors.incoming(msg) : msg;
    if (out) {
      this.delivered.push(out);
      this.emit('message', out);
    }
    return out;
  }

  async send(target: string, text: string, opts?: SendOptions): Promise<SendResult> {
    if (target.startsWith('nobody'))
      throw new PeerchatError('ERR_UNKNOWN_TARGET', `no peer matches ${target}`);
    const msg = makeMessage({ from: target, name: null, text, direction: 'out' });
    const out = this.interceptors.outgoing ? await this.interceptors.outgoing(msg) : msg;
    if (!out) return { id: msg.id, to: target, protocol: 'native', state: 'failed', error: 'dropped' };
    this.sent.push({ target, text: out.text, ...(opts ? { opts } : {}) });
    const result: SendResult = { id: out.id, to: target, protocol: 'native', state: 'acked' };
    this.emit('sent', out, result);
    return result;
  }

  async broadcast(text: string): Promise<SendResult[]> {
    return Promise.all(this.connectedPeers().map((p) => this.send(p.address, text)));
  }

  async connect(address: string): Promise<PeerInfo> {
    return makePeerInfo({ address });
  }

  async connectAll(): Promise<PeerInfo[]> {
    return [];
  }

  async query(): Promise<string[]> {
    return [];
  }

  activePeers(): PeerInfo[] {
    return this.peers;
  }

  connectedPeers(): PeerInfo[] {
    return this.peers.filter((p) => p.connected);
  }

  takePending(): ChatMessage[] {
    return [];
  }

  setChatTarget(): void {}

  resolve(target: string): PeerInfo {
    const found = this.peers.find((p) => p.address === target || p.name === target);
    if (!found) throw new PeerchatError('ERR_UNKNOWN_TARGET', `no peer matches ${target}`);
    return found;
  }

  trust(): void {}
  async ready(): Promise<PeerInfo[]> {
    return [];
  }
  contacts(): ContactInfo[] {
    return [];
  }

  async exit(): Promise<void> {
    this.emit('close');
  }

  /** Typed emit, so tests cannot send an event the Peer would not. */
  override emit<E extends keyof PeerEvents>(event: E, ...args: PeerEvents[E]): boolean {
    return super.emit(event, ...args);
  }
}

/** Resolves once `check()` is true; fails after `ms`. For effects of observe hooks (fire and forget). */
export async function until(check: () => boolean, ms = 2000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
