/** A PeerCore over in-memory tables and a recorded event list: unit tests of the peer/ modules. */
import { EventEmitter } from 'node:events';
import { DEFAULT_LIMITS, DEFAULT_TIMEOUTS } from '../../src/defaults.js';
import type { Warning } from '../../src/errors.js';
import type { WireChat } from '../../src/net/session.js';
import type { PeerEvents } from '../../src/peer/api.js';
import type { PeerCore } from '../../src/peer/core.js';
import { PeerTable } from '../../src/peer/table.js';
import { Warnings } from '../../src/peer/warnings.js';
import type { Store } from '../../src/store/store.js';
import type { DisconnectReason, PeerEntry, Protocol } from '../../src/types.js';

export function fakeCore(opts: { store?: Store | null; port?: number } = {}) {
  const events: Array<[keyof PeerEvents, ...unknown[]]> = [];
  const warnings = new Warnings();
  const warned: Warning[] = [];
  warnings.on('warning', (w) => warned.push(w));
  let closing = false;
  const core: PeerCore = {
    table: new PeerTable(),
    warnings,
    store: opts.store ?? null,
    limits: { ...DEFAULT_LIMITS },
    timeouts: { ...DEFAULT_TIMEOUTS },
    local: () => ({ name: 'me', port: opts.port ?? 4000 }),
    isSelf: (host, port) => host === '127.0.0.1' && port === (opts.port ?? 4000),
    closing: () => closing,
    emit: (event, ...args) => {
      events.push([event, ...args]);
      return true;
    },
  };
  return {
    core,
    events,
    warned,
    named: (name: keyof PeerEvents) => events.filter((e) => e[0] === name).map((e) => e.slice(1)),
    close: () => {
      closing = true;
    },
  };
}

/** A Session over nothing: records what is sent, closes on demand. */
export class FakeSession extends EventEmitter {
  closed = false;
  sent: WireChat[] = [];
  exits = 0;
  constructor(
    readonly protocol: Protocol,
    readonly remoteKey: string | null = null,
    readonly isInitiator = false,
    readonly remoteHost = '127.0.0.1',
  ) {
    super();
  }
  async sendChat(chat: WireChat): Promise<void> {
    this.sent.push(chat);
  }
  async requestPeers(): Promise<PeerEntry[]> {
    return [];
  }
  async exit(): Promise<void> {
    this.exits++;
    this.destroy('closed');
  }
  destroy(reason: DisconnectReason = 'closed'): void {
    if (this.closed) return;
    this.closed = true;
    this.emit('close', reason);
  }
}
