/**
 * What a native session writes back for the remote: the ack or refusal of each chat and the answer
 * to a peers request, as payloads with an upper bound of their encoded size; and the refusal an
 * incoming ack may carry.
 */
import type { PeerEntry } from '../../types.js';
import type { AckChat } from '../session.js';
import { RefusedError } from './ack-window.js';
import * as m from './messages.js';
import { toWireEntries } from './peer-queries.js';

export interface Reply<T> {
  message: T;
  /** Upper bound of the encoded size, for the output budget. */
  bytes: number;
}

/**
 * The ack callback of one chat: with no refusal an ack; with one, a refusal if the remote reads
 * refusals, else nothing, as a 0.1.0 peer expects.
 */
export function ackFor(
  id: string,
  readsRefusals: () => boolean,
  write: (reply: Reply<m.Ack>) => void,
): AckChat {
  return (refusal) => {
    if (!refusal) return write({ message: { id }, bytes: id.length * 3 + 8 });
    if (!readsRefusals()) return;
    const refused = { reason: m.REFUSAL_REASONS.rateLimited, retryAfterMs: Math.ceil(refusal.retryAfterMs) };
    write({ message: { id, refused }, bytes: id.length * 3 + 24 });
  };
}

/** The reply callback of one peers request: the first call answers, later calls do nothing. */
export function peersReplyFor(
  requestId: number,
  write: (reply: Reply<m.PeersAnswer>) => void,
): (entries: PeerEntry[]) => void {
  let answered = false;
  return (entries) => {
    if (answered) return;
    answered = true;
    const message = { requestId, entries: toWireEntries(entries) };
    write({ message, bytes: m.encodingLength(m.peersAnswer, message) });
  };
}

/** The refusal an incoming ack carries, or null for a plain ack. */
export function refusalOf(ack: m.Ack): RefusedError | null {
  if (!ack.refused) return null;
  const { reason, retryAfterMs } = ack.refused;
  return new RefusedError(ack.id, retryAfterMs, reason === m.REFUSAL_REASONS.rateLimited);
}
