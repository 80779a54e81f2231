/**
 * Appends to this member's own core. Appends made while one is being written go to the core as
 * one batch (one flush, one signature), at most MAX_APPEND_BATCH blocks.
 */
import type Hypercore from 'hypercore';
import { PeerchatError } from '../../errors.js';
import { type EntryBody, encodeEntry } from './entry.js';
import type { PendingAppend, RoomEntry } from './types.js';

const MAX_APPEND_BATCH = 1000;

export class Appender {
  private readonly pending: PendingAppend[] = [];
  /** Settles once every append asked so far is written (or failed). */
  idle: Promise<void> = Promise.resolve();

  constructor(
    private readonly core: Hypercore,
    /** Called for each entry once stored, in order, before its promise resolves. */
    private readonly stored: (entry: RoomEntry) => void,
    private readonly closing: () => boolean,
  ) {}

  append(body: EntryBody): Promise<RoomEntry> {
    const block = encodeEntry(body);
    return new Promise((resolve, reject) => {
      this.pending.push({ body, block, resolve, reject });
      if (this.pending.length === 1) this.idle = this.idle.then(() => this.flush());
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending.splice(0, MAX_APPEND_BATCH);
    if (this.pending.length > 0) this.idle = this.idle.then(() => this.flush());
    if (batch.length === 0) return;
    try {
      const { length } = await this.core.append(batch.map((p) => p.block));
      const first = length - batch.length;
      const key = this.core.key.toString('hex');
      batch.forEach((p, i) => {
        const entry: RoomEntry = { ...p.body, author: key, seq: first + i, local: true, late: false };
        this.stored(entry);
        p.resolve(entry);
      });
    } catch (err) {
      const e = this.closing()
        ? new PeerchatError('ERR_CLOSED', 'the room log closed before the message was stored', { cause: err })
        : new PeerchatError('ERR_STORE_WRITE', 'the room message could not be stored', { cause: err });
      for (const p of batch) p.reject(e);
    }
  }
}
