/**
 * Incoming messages: storing them (the writer's INSERT is the de-duplication authority, unique per
 * sender key and id) and answering "was this id stored?" without a query in the common case, from a
 * Bloom filter of every id stored (id-filter.ts).
 */
import type { ChatMessage } from '../types.js';
import { IdFilter } from './id-filter.js';
import type { Op } from './ops.js';
import type { Reader } from './reader.js';
import { plainMessage, UNVERIFIED } from './rows.js';

export class Incoming {
  /** Every id stored (writer stores only): lets reads answer "never stored" without a query. */
  private ids: IdFilter | null = null;

  constructor(
    private readonly reader: Reader,
    private readonly write: (op: Op) => Promise<unknown>,
    /** False for a read-only or closed store: no filter, every lookup queries. */
    private readonly usable: () => boolean,
  ) {}

  /** Resolves false for a copy of a message this sender's key already sent (same id). */
  record(msg: ChatMessage, kind: 'incoming' | 'room' = 'incoming'): Promise<boolean> {
    const m = plainMessage(msg);
    return (this.write({ t: kind, msg: m }) as Promise<boolean>).then((stored) => {
      if (stored) this.remember(m.id);
      return stored;
    });
  }

  /** True once a message with this id from this sender key (null: classic) is committed. */
  has(key: string | null, id: string): boolean {
    if (!this.mayHave(id)) return false;
    return (
      this.reader.get(
        "SELECT 1 FROM messages WHERE id = ? AND direction = 'in' AND peer_key = ?",
        String(id),
        key ?? UNVERIFIED,
      ) !== undefined
    );
  }

  /** False when no row has this id (no false negatives); true may still be a miss. */
  mayHave(id: string): boolean {
    return !this.ids || !this.usable() || this.ids.mayHave(String(id));
  }

  /** A row with this id was committed (incoming or outgoing). */
  remember(id: string): void {
    if (!this.ids) return;
    if (this.ids.full) this.rebuild();
    else this.ids.add(id);
  }

  /** (Re)build the filter from the file, sized for twice the rows it holds now. */
  rebuild(): void {
    const n = (this.reader.stmt('SELECT count(*) AS n FROM messages').get() as { n: number }).n;
    const ids = new IdFilter(Math.max(65_536, 2 * n));
    for (const id of this.reader.stmt('SELECT id FROM messages').pluck().iterate() as Iterable<string>)
      ids.add(id);
    this.ids = ids;
  }
}
