/** The few places tests reach past the public API: kept in one file so a refactor changes one line. */
import type { Peer } from '../../src/peer/peer.js';

/** Run the outbox expiry check now instead of waiting for its 30 s interval. */
export function expireNow(peer: Peer): void {
  (peer as unknown as { delivery: { expire(): void } }).delivery.expire();
}
