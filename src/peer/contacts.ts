/**
 * The contact book and history seen from the Peer: contacts with whether a session is open now,
 * and a history target (address, live name, contact name or fingerprint) turned into a store query.
 */
import { parseAddress } from '../net/address.js';
import { type Contact, matchContacts } from '../store/contacts.js';
import type { HistoryOptions, StoredMessage } from '../store/store.js';
import type { ContactInfo } from './api.js';
import type { PeerCore } from './core.js';

const KEY = /^[0-9a-f]{64}$/i;

export class Contacts {
  constructor(private readonly core: PeerCore) {}

  /** The contacts (those `target` names, with one), most recently seen first; empty without a store. */
  list(target?: string): ContactInfo[] {
    const { store, table, warnings } = this.core;
    const live = (c: Contact): ContactInfo => ({
      ...c,
      connected: c.key
        ? table.byKey(c.key)?.session != null
        : table.get(c.addresses[0] ?? '')?.session != null,
    });
    const t = target === undefined ? undefined : String(target).trim();
    try {
      if (!store) return [];
      // a whole key or an address: by index or in SQL, not the whole book (the REPL asks on each connect)
      if (t !== undefined && KEY.test(t)) {
        const one = store.contact(t.toLowerCase());
        return one ? [live(one)] : []; // a key is an identity, never a name
      } else if (t !== undefined && parseAddress(t)) return store.contactsAt(t).map(live);
      const book = store.contacts().map(live);
      return t === undefined ? book : (matchContacts(book, t) as ContactInfo[]);
    } catch (err) {
      warnings.fail(err, 'could not read the contacts');
      return [];
    }
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
