/**
 * The contact book: one row per peer identity (its key, or its address for a classic peer that has
 * none), with the name it last gave, the addresses it was last reached at, when it was first and last
 * seen and how it was first met. Written by the writer worker (the 'seen' op), read on the main thread.
 */
import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { Via } from '../types.js';

/** Dialable addresses kept per contact, most recent first. */
export const MAX_CONTACT_ADDRESSES = 5;
/** A fingerprint or key prefix shorter than this is not treated as one (a name could look like it). */
export const MIN_PREFIX = 4;

/** Schema version 3: the contact book, filled from the peers seen so far. */
export const CONTACTS_MIGRATION = `
  CREATE TABLE contacts (
    id         TEXT PRIMARY KEY,                 -- the hex key, or 'addr:' || address for a keyless peer
    key        TEXT,                             -- hex key, null for a classic (keyless) peer
    name       TEXT,                             -- the name it last gave
    addresses  TEXT NOT NULL DEFAULT '[]',       -- JSON array of "ip:port", most recent first
    first_seen INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL,
    met        TEXT NOT NULL                     -- how it was first met: 'tcp', 'room' or 'room:<name>'
  );
  CREATE INDEX contacts_by_name ON contacts (name);
  INSERT INTO contacts (id, key, name, addresses, first_seen, last_seen, met)
    SELECT CASE WHEN p.key = 'unverified' THEN 'addr:' || p.address ELSE p.key END,
           CASE WHEN p.key = 'unverified' THEN NULL ELSE p.key END,
           (SELECT q.name FROM peers q WHERE q.key = p.key AND (p.key <> 'unverified' OR q.address = p.address)
              ORDER BY q.last_seen DESC LIMIT 1),
           (SELECT json_group_array(address) FROM (SELECT q.address FROM peers q
              WHERE q.key = p.key AND (p.key <> 'unverified' OR q.address = p.address)
              ORDER BY q.last_seen DESC LIMIT ${MAX_CONTACT_ADDRESSES})),
           min(p.first_seen), max(p.last_seen), 'tcp'
    FROM peers p
    GROUP BY CASE WHEN p.key = 'unverified' THEN 'addr:' || p.address ELSE p.key END;
`;

export interface Contact {
  /** Hex public key; null for a classic peer (then it is known by its address only). */
  key: string | null;
  fingerprint: string | null;
  /** The name it gave last (a claim: names are not verified). */
  name: string | null;
  /** Addresses it was reached at over TCP, most recent first (at most 5). */
  addresses: string[];
  firstSeen: number;
  lastSeen: number;
  /** How it was first met: "tcp", "room" or "room:<name>". */
  met: Via;
}

export interface ContactSighting {
  address: string;
  /** Hex key, or null (classic). */
  key: string | null;
  name: string | null;
  via: Via;
  at: number;
}

/** Record a session: create the contact or move its address to the front. Runs inside a transaction. */
export function recordContact(db: Database.Database, s: ContactSighting): void {
  const id = s.key ?? `addr:${s.address}`;
  const row = db.prepare('SELECT addresses FROM contacts WHERE id = ?').get(id) as
    | { addresses: string }
    | undefined;
  // a room connection's address is the swarm's socket, not where the peer listens: not kept
  const dialable = s.via === 'tcp';
  if (!row) {
    db.prepare(
      'INSERT INTO contacts (id, key, name, addresses, first_seen, last_seen, met) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ).run(id, s.key, s.name, JSON.stringify(dialable ? [s.address] : []), s.at, s.at, s.via);
    return;
  }
  let addresses = parseAddresses(row.addresses);
  if (dialable)
    addresses = [s.address, ...addresses.filter((a) => a !== s.address)].slice(0, MAX_CONTACT_ADDRESSES);
  db.prepare(
    `UPDATE contacts SET name = coalesce(?, name), addresses = ?, last_seen = max(last_seen, ?),
       first_seen = min(first_seen, ?) WHERE id = ?`,
  ).run(s.name, JSON.stringify(addresses), s.at, s.at, id);
}

interface ContactRow {
  key: string | null;
  name: string | null;
  addresses: string;
  first_seen: number;
  last_seen: number;
  met: string;
}

/** Every contact, the most recently seen first. */
export function readContacts(db: Database.Database): Contact[] {
  const rows = db.prepare('SELECT * FROM contacts ORDER BY last_seen DESC').all() as ContactRow[];
  return rows.map(toContact);
}

/** A cached prepare (the reader's): the lookups below run per send by name or per connect. */
export type Prepare = (sql: string) => Database.Statement;

/** The contact with this key (one row by its primary key), or null. */
export function readContact(prepare: Prepare, key: string): Contact | null {
  const row = prepare('SELECT * FROM contacts WHERE id = ?').get(key) as ContactRow | undefined;
  return row && row.key === key ? toContact(row) : null;
}

/** The contacts whose last name is exactly `name` (the name index), the most recently seen first. */
export function readContactsNamed(prepare: Prepare, name: string): Contact[] {
  const rows = prepare('SELECT * FROM contacts WHERE name = ? ORDER BY last_seen DESC').all(
    name,
  ) as ContactRow[];
  return rows.map(toContact);
}

/** Who gave this exact name, as key and addresses only: the check on each send by name (table.ts). */
export function readNameHolders(prepare: Prepare, name: string): NameHolder[] {
  const rows = prepare('SELECT key, addresses FROM contacts WHERE name = ?').all(name) as Array<{
    key: string | null;
    addresses: string;
  }>;
  return rows.map((r) => ({ key: r.key, addresses: parseAddresses(r.addresses) }));
}

export type NameHolder = Pick<Contact, 'key' | 'addresses'>;

/**
 * The contacts reached at this address (in their last addresses, or a keyless one known by it).
 * SQLite filters the rows by text, so a large book costs no JavaScript object per row.
 */
export function readContactsAt(prepare: Prepare, address: string): Contact[] {
  const rows = prepare(
    'SELECT * FROM contacts WHERE id = ? OR instr(addresses, ?) > 0 ORDER BY last_seen DESC',
  ).all(`addr:${address}`, JSON.stringify(address)) as ContactRow[];
  return rows.map(toContact).filter((c) => c.addresses.includes(address) || c.key === null);
}

function toContact(r: ContactRow): Contact {
  return {
    key: r.key,
    fingerprint: r.key ? fingerprint(r.key) : null,
    name: r.name,
    addresses: parseAddresses(r.addresses),
    firstSeen: r.first_seen,
    lastSeen: r.last_seen,
    met: r.met as Via,
  };
}

/** As net/native/identity's fingerprint; computed here so the writer worker loads no crypto stack. */
function fingerprint(key: string): string {
  const h = createHash('sha256').update(Buffer.from(key, 'hex')).digest('hex');
  return `${h.slice(0, 4)}:${h.slice(4, 8)}:${h.slice(8, 12)}:${h.slice(12, 16)}`;
}

function parseAddresses(json: string): string[] {
  try {
    const v = JSON.parse(json) as unknown;
    return Array.isArray(v) ? v.filter((a): a is string => typeof a === 'string') : [];
  } catch {
    return [];
  }
}

/**
 * The contacts a target names: its name exactly, else a fingerprint or key prefix (at least 4 hex
 * digits, colons in a fingerprint optional), else an address it was reached at.
 */
export function matchContacts(contacts: readonly Contact[], target: string): Contact[] {
  const t = target.trim();
  const named = contacts.filter((c) => c.name === t);
  if (named.length > 0) return named;
  const prefix = t.toLowerCase().replace(/:/g, '');
  if (prefix.length >= MIN_PREFIX && /^[0-9a-f]+$/.test(prefix)) {
    const hits = contacts.filter(
      (c) =>
        c.key !== null && (c.key.startsWith(prefix) || c.fingerprint!.replace(/:/g, '').startsWith(prefix)),
    );
    if (hits.length > 0) return hits;
  }
  return contacts.filter((c) => c.addresses.includes(t));
}

/** "carol 127.0.0.1:5001 (3f2a:91c0:7be4:d215)", for candidate lists. */
export function describeContact(c: Contact): string {
  const where = c.addresses[0] ?? 'no address';
  return `${c.name ?? '?'} ${where}${c.fingerprint ? ` (${c.fingerprint})` : ''}`;
}
