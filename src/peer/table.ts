/** The peer tables: discovered (active) peers and their sessions, by address and by key. */
import { MAX_DISCOVERED, MAX_DISCOVERED_PER_SOURCE } from '../defaults.js';
import { PeerchatError } from '../errors.js';
import { addressProblem, formatAddress, parseAddress } from '../net/address.js';
import type { Session } from '../net/session.js';
import {
  type Contact,
  describeContact,
  MIN_PREFIX,
  matchContacts,
  type NameHolder,
} from '../store/contacts.js';
import type { PeerInfo, Protocol, Via } from '../types.js';

export interface PeerRecord {
  address: string;
  host: string;
  port: number;
  name: string | null;
  key: string | null;
  fingerprint: string | null;
  protocol: Protocol | null;
  session: Session | null;
  via: Via;
  /** When the current session was established (ms). */
  since: number;
  /** Set while a dropped room connection may still be replaced (see Peer). */
  grace: NodeJS.Timeout | null;
  /** Who made us learn it without a session (a classic sender's IP, a peer list's peer). */
  source?: string;
}

export function toInfo(r: PeerRecord): PeerInfo {
  return {
    address: r.address,
    name: r.name,
    key: r.key,
    fingerprint: r.fingerprint,
    protocol: r.protocol,
    connected: r.session !== null,
    via: r.via,
  };
}

export class PeerTable {
  private readonly byAddress = new Map<string, PeerRecord>();
  /** The contact book, consulted when no live peer matches a target (null: no store). */
  contacts: (() => Contact[]) | null = null;
  /** The contacts that gave this exact name (null: no store); see resolve. */
  contactsNamed: ((name: string) => Contact[]) | null = null;
  /** Key and addresses of the contacts that gave this exact name (null: no store); see resolve. */
  nameHolders: ((name: string) => NameHolder[]) | null = null;
  /** The contact with this key (null: no store). */
  contactByKey: ((key: string) => Contact | null) | null = null;

  get(address: string): PeerRecord | undefined {
    return this.byAddress.get(address);
  }

  /** Returns the record and whether it is new. */
  upsert(address: string, host: string, port: number): [PeerRecord, boolean] {
    const found = this.byAddress.get(address);
    if (found) return [found, false];
    const rec = PeerTable.blank(address, host, port);
    this.byAddress.set(address, rec);
    return [rec, true];
  }

  /**
   * Learn an address without a session (a classic claim, a peer list). Unconnected entries are
   * bounded: at most MAX_DISCOVERED_PER_SOURCE per source and MAX_DISCOVERED in all, the oldest
   * evicted first, so a flood of claims cannot grow the table.
   */
  discover(address: string, host: string, port: number, source: string): [PeerRecord, boolean] {
    const found = this.byAddress.get(address);
    if (found) return [found, false];
    const [rec] = this.upsert(address, host, port);
    rec.source = source;
    this.trim(source);
    return [rec, true];
  }

  /** Evict the oldest unconnected entries past the bounds (of one source, then in all). */
  trim(source?: string): void {
    const idle = (r: PeerRecord) => !r.session && !r.grace;
    if (source !== undefined) {
      const mine = this.all().filter((r) => r.source === source && idle(r));
      for (const r of mine.slice(0, Math.max(0, mine.length - MAX_DISCOVERED_PER_SOURCE)))
        this.byAddress.delete(r.address);
    }
    if (this.byAddress.size <= MAX_DISCOVERED) return;
    const unconnected = this.all().filter(idle);
    for (const r of unconnected.slice(0, Math.max(0, unconnected.length - MAX_DISCOVERED)))
      this.byAddress.delete(r.address);
  }

  /** A record for an address that is not (yet) in the table: typing an address discovers nothing. */
  static blank(address: string, host: string, port: number): PeerRecord {
    return {
      address,
      host,
      port,
      name: null,
      key: null,
      fingerprint: null,
      protocol: null,
      session: null,
      via: 'tcp',
      since: 0,
      grace: null,
    };
  }

  delete(address: string): void {
    this.byAddress.delete(address);
  }

  all(): PeerRecord[] {
    return [...this.byAddress.values()];
  }

  connected(): PeerRecord[] {
    return this.all().filter((r) => r.session !== null);
  }

  byKey(key: string): PeerRecord | undefined {
    for (const r of this.byAddress.values()) if (r.key === key && r.session) return r;
    for (const r of this.byAddress.values()) if (r.key === key) return r;
    return undefined;
  }

  /**
   * A send/query target: a known peer (see resolve), else a blank record for a typed "ip:port"
   * (not added: typing an address discovers nothing), else a contact (see contact);
   * ERR_UNKNOWN_TARGET for anything else.
   */
  target(target: string): PeerRecord {
    const t = target.trim();
    const found = this.resolve(t);
    if (found) return found;
    const a = parseAddress(t);
    if (a) {
      const address = formatAddress(a.host, a.port);
      return this.get(address) ?? PeerTable.blank(address, a.host, a.port);
    }
    const known = this.contact(t);
    if (known) return known;
    // written as an address, but not a valid one: say what is wrong with it, not "no such peer"
    const problem = addressProblem(t);
    if (problem) throw new PeerchatError('ERR_INVALID_ADDRESS', problem);
    throw new PeerchatError(
      'ERR_UNKNOWN_TARGET',
      `no known peer or contact is called "${t}" (use "ip:port", a name or a fingerprint prefix)`,
    );
  }

  /**
   * The contact a name or fingerprint prefix names: its live record when its key is connected, else a
   * blank record (not added) at its last address carrying its key, so a dial expects that key and a
   * send queues to it. Address "" when it was only met in rooms. Several contacts: ERR_AMBIGUOUS_TARGET.
   */
  contact(target: string): PeerRecord | undefined {
    const hits = this.matchBook(target.trim());
    if (hits.length > 1) {
      const list = hits.map(describeContact).join(', ');
      throw new PeerchatError('ERR_AMBIGUOUS_TARGET', `"${target}" names ${hits.length} contacts: ${list}`);
    }
    const c = hits[0];
    if (!c) return undefined;
    const live = c.key ? this.byKey(c.key) : this.get(c.addresses[0] ?? '');
    if (live) return live;
    const address = c.addresses[0] ?? '';
    const a = parseAddress(address);
    const rec = PeerTable.blank(a ? address : '', a?.host ?? '', a?.port ?? 0);
    rec.key = c.key;
    rec.fingerprint = c.fingerprint;
    rec.name = c.name;
    rec.protocol = c.key ? 'native' : 'classic';
    return rec;
  }

  /**
   * The contacts a target names (matchContacts), by an index where it can: a name, a whole key.
   * A whole key or fingerprint is an identity: it never matches a name.
   */
  private matchBook(t: string): Contact[] {
    if (FULL_ID.test(t)) {
      const id = t.toLowerCase();
      const one = id.length === 64 ? this.contactByKey?.(id) : null;
      if (one) return [one];
      return (this.contacts?.() ?? []).filter((c) => c.key === id || c.fingerprint === id);
    }
    const named = this.contactsNamed?.(t) ?? [];
    if (named.length > 0) return named;
    return this.contacts ? matchContacts(this.contacts(), t) : [];
  }

  /**
   * Find by exact address, then by key or fingerprint, then by name (connected first); ambiguous
   * names list the candidates. A name is only a claim: a full key or fingerprint never matches a
   * name, and a name that a contact not among the live matches also gave is ambiguous, so a
   * stranger who takes an away contact's name is not sent that contact's messages.
   */
  resolve(target: string): PeerRecord | undefined {
    const exact = this.byAddress.get(target);
    if (exact) return exact;
    const id = this.all().filter((r) => r.fingerprint === target || r.key === target);
    if (id.length > 0 || FULL_ID.test(target)) return this.pick(target, id);
    let named = this.all().filter((r) => r.name === target);
    const prefix = target.toLowerCase().replace(/:/g, '');
    const hex = prefix.length >= MIN_PREFIX && /^[0-9a-f]+$/.test(prefix);
    const startsWith = (key: string | null, fp: string | null) =>
      !!key?.startsWith(prefix) || !!fp?.replace(/:/g, '').startsWith(prefix);
    if (named.length === 0 && hex) named = this.all().filter((r) => startsWith(r.key, r.fingerprint));
    const pool = named.some((r) => r.session) ? named.filter((r) => r.session) : named;
    if (pool.length === 0) return undefined;
    // contacts of that name that none of the live matches is: the name is theirs too; a name that
    // reads as hex ("cafe") may also be the start of a contact's key or fingerprint
    const candidates: NameHolder[] = [
      ...(this.nameHolders?.(target) ?? this.contactsNamed?.(target) ?? []),
      ...(hex && named.some((r) => r.name === target)
        ? (this.contacts?.() ?? []).filter((c) => startsWith(c.key, c.fingerprint))
        : []),
    ];
    const seen = new Set<string>();
    const others = candidates.filter((c) => {
      const id = c.key ?? `addr:${c.addresses[0] ?? ''}`;
      if (seen.has(id)) return false; // a contact both named so and starting so counts once
      seen.add(id);
      return !pool.some((r) => (c.key ? r.key === c.key : r.key === null && c.addresses.includes(r.address)));
    });
    if (others.length > 0) {
      // the error path only: the full contacts, with their names and fingerprints
      const full = [...(this.contactsNamed?.(target) ?? []), ...(this.contacts?.() ?? [])];
      const described = others.map((o) => {
        const c = full.find((x) =>
          o.key ? x.key === o.key : x.key === null && x.addresses[0] === o.addresses[0],
        );
        return c ? describeContact(c) : `? ${o.addresses[0] ?? 'no address'}`;
      });
      const list = [...pool.map(describeRecord), ...described].join(', ');
      throw new PeerchatError(
        'ERR_AMBIGUOUS_TARGET',
        `"${target}" names ${pool.length + others.length} peers: ${list} (use an address or a fingerprint)`,
      );
    }
    return this.pick(target, pool);
  }

  private pick(target: string, found: PeerRecord[]): PeerRecord | undefined {
    const pool = found.some((r) => r.session) ? found.filter((r) => r.session) : found;
    if (pool.length > 1) {
      const list = pool.map(describeRecord).join(', ');
      throw new PeerchatError('ERR_AMBIGUOUS_TARGET', `"${target}" names ${pool.length} peers: ${list}`);
    }
    return pool[0];
  }
}

/** A whole key (64 hex digits) or fingerprint ("3f2a:91c0:7be4:d215"): an identity, never a name. */
const FULL_ID = /^([0-9a-f]{64}|[0-9a-f]{4}(:[0-9a-f]{4}){3})$/i;

function describeRecord(r: PeerRecord): string {
  return `${r.name ?? '?'} ${r.address}${r.fingerprint ? ` (${r.fingerprint})` : ' (unverified)'}`;
}

/** A session reached through a Hyperswarm room (named or not yet). */
export function isRoomVia(via: Via): boolean {
  return via === 'room' || via.startsWith('room:');
}
