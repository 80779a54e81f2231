/**
 * Opening sessions: one dial per address at a time, a contact's name dialled at its last address
 * with its key, our own address and a reused address under another key refused, and every ready
 * session (dialled, answered or from a room) checked by trust before it enters the tables.
 */
import { PeerchatError } from '../errors.js';
import { formatAddress, parseAddress, toAddress } from '../net/address.js';
import type { Opened } from '../net/upgrade.js';
import type { PeerInfo } from '../types.js';
import type { ConnectOptions } from './api.js';
import type { PeerCore } from './core.js';
import { type PeerRecord, toInfo } from './table.js';

export interface ConnectorParts {
  /** Dial an address and run CONNECT/ACK (and the upgrade); resolves with the ready session. */
  dial(host: string, port: number, key: string | null): Promise<Opened>;
  /** Trust's verdict on a ready session: the error that refuses it, or null. */
  admit(o: Opened, expected: string | null): Error | null;
  /** Trust's verdict on a plaintext session to an address known by a key. */
  refuseDowngrade(address: string, key: string | null): Error | null;
  /** Put a session in the tables (sessions.ts). */
  attach(o: Opened): PeerInfo;
}

export class Connector {
  readonly #dialing = new Map<string, Promise<PeerInfo>>();

  constructor(
    private readonly core: PeerCore,
    private readonly parts: ConnectorParts,
  ) {}

  connect(address: string, opts: ConnectOptions = {}): Promise<PeerInfo> {
    const { table } = this.core;
    if (typeof address === 'string' && !parseAddress(address.trim())) {
      // a contact's name or fingerprint prefix: its live session, else its last address with its key
      const rec = this.contactRecord(address.trim());
      if (rec?.session) return Promise.resolve(toInfo(rec));
      if (rec?.address) return this.connect(rec.address, { key: opts.key ?? rec.key ?? undefined });
      if (rec) {
        const who = rec.name ?? address;
        return Promise.reject(new PeerchatError('ERR_PEER_UNREACHABLE', `${who} has no known address`));
      }
    }
    const a = toAddress(address);
    const key = formatAddress(a.host, a.port);
    if (this.core.isSelf(a.host, a.port)) {
      return Promise.reject(new PeerchatError('ERR_INVALID_ADDRESS', `${key} is this peer`));
    }
    const rec = table.get(key);
    const want = opts.key?.toLowerCase();
    if (rec?.session && want && rec.key !== want) {
      // another peer holds a session from that address (a reused port): not the one asked for
      const shown = rec.fingerprint ?? 'no key';
      return Promise.reject(
        new PeerchatError(
          'ERR_KEY_MISMATCH',
          `${key} is now ${shown}, not the key expected (${want.slice(0, 16)}…)`,
        ),
      );
    }
    if (rec?.session) return Promise.resolve(toInfo(rec));
    let p = this.#dialing.get(key);
    if (!p) {
      p = this.parts
        .dial(a.host, a.port, opts.key ?? null)
        .then((o) => this.adopt(o, { expected: opts.key ?? null }))
        .finally(() => this.#dialing.delete(key));
      this.#dialing.set(key, p);
    }
    return p;
  }

  /**
   * A ready session: check it against the address dialled and its pin (`dial.expected`: the key the
   * dial meant, a contact's or a configured one), refuse plaintext to a peer known by a key, then
   * put it in the tables.
   */
  adopt(o: Opened, dial?: { expected: string | null }): PeerInfo {
    const address = formatAddress(o.host, o.port);
    const refused =
      this.parts.admit(o, dial?.expected ?? null) ??
      (o.key ? null : this.parts.refuseDowngrade(address, this.core.table.get(address)?.key ?? null));
    if (refused) {
      o.session.destroy('closed', refused);
      throw refused;
    }
    return this.parts.attach(o);
  }

  /** The live peer or contact a name or fingerprint prefix names; undefined when none does. */
  contactRecord(target: string): PeerRecord | undefined {
    return this.core.table.resolve(target) ?? this.core.table.contact(target);
  }
}
