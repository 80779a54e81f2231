/**
 * The contact book and history seen from the Peer: contacts with whether a session is open now,
 * and a history target (address, live name, contact name or fingerprint) turned into a store query.
 */
import { parseAddress } from '../net/address.js';
import { matchContacts } from '../store/contacts.js';
import type { HistoryOptions, StoredMessage } from '../store/store.js';
import type { ContactInfo } from './api.js';
import type { PeerCore } from './core.js';

export class Contacts {
  constructor(private readonly core: PeerCore) {}

  /** The contacts (those `target` names, with one), most recently seen first; empty without a store. */
  list(target?: string): ContactInfo[] {
    const { store, table, warnings } = this.core;
    let book: ContactInfo[];
    try {
      book = (store?.contacts() ?? []).map((c) => ({
        ...c,
        connected: c.key
          ? table.byKey(c.key)?.session != null
          : table.get(c.addresses[0] ?? '')?.session != null,
      }));
    } catch (err) {
      warnings.fail(err, 'could not read the contacts');
      return [];
    }
    return target === undefined ? book : (matchContacts(book, String(target)) as ContactInfo[]);
  }

  /** The name the contact with this key gave last; null when unknown or unreadable (a warning says why). */
  nameOf(key: string): string | null {
    try {
      return this.core.store?.contact(key)?.name ?? null;
    } catch (err) {
      this.core.warnings.fail(err, 'could not read the contacts');
      return null;
    }
  }

  /** Stored messages, oldest first; a contact's rows are found by its key, whatever address it used. */
  history(target?: string, opts: HistoryOptions = {}): StoredMessage[] {
    const { store, table } = this.core;
    if (!store) return [];
    let peer = opts.peer;
    if (target !== undefined && target !== null) {
      const t = String(target).trim();
      const rec = table.resolve(t) ?? (parseAddress(t) ? undefined : table.contact(t));
      peer = rec ? (rec.key ?? rec.address) : t;
    }
    return store.history({ ...opts, peer });
  }
}
