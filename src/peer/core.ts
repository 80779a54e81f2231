/** What the peer modules share: the tables, the warning sink, the store, limits, and the events out. */
import type { Store } from '../store/store.js';
import type { PeerEvents } from './api.js';
import type { Limits, Timeouts } from './options.js';
import type { PeerTable } from './table.js';
import type { Warnings } from './warnings.js';

export interface PeerCore {
  readonly table: PeerTable;
  readonly warnings: Warnings;
  readonly store: Store | null;
  readonly limits: Limits;
  readonly timeouts: Timeouts;
  /** Our name and listening port (the port is known once listening). */
  local(): { name: string; port: number };
  /** Our own listening address, under any of this host's addresses. */
  isSelf(host: string, port: number): boolean;
  /** True from the moment exit() is called. */
  closing(): boolean;
  emit<E extends keyof PeerEvents>(event: E, ...args: PeerEvents[E]): boolean;
}
