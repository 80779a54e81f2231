/**
 * Late acks: a slow receiver (a disk sync) may ack after our ack timeout. That ack still marks the
 * message acked, but only for ids this session timed out on (a peer cannot ack another peer's
 * messages), and a session that never acks cannot grow the list past MAX_LATE_ACKS.
 */
import type { Session } from '../net/session.js';
import type { ChatMessage } from '../types.js';

/** Timed-out ids remembered per session for a late ack. */
const MAX_LATE_ACKS = 10_000;

export class LateAcks {
  private readonly sessions = new Map<Session, Map<string, ChatMessage>>();

  /** `acked`: a late ack for a message `expect` was called with, on the session it was sent on. */
  constructor(private readonly acked: (msg: ChatMessage) => void) {}

  /** The ack wait of `msg` on `session` timed out: take a later ack for it. */
  expect(session: Session, msg: ChatMessage): void {
    if (session.closed) return;
    let ids = this.sessions.get(session);
    if (!ids) {
      const pending = new Map<string, ChatMessage>();
      ids = pending;
      this.sessions.set(session, pending);
      const onLate = (id: string) => {
        const m = pending.get(id);
        if (!m) return;
        pending.delete(id);
        this.acked(m);
      };
      session.on('late-ack', onLate);
      session.once('close', () => {
        session.off('late-ack', onLate);
        this.sessions.delete(session);
      });
    }
    if (ids.size < MAX_LATE_ACKS) ids.set(msg.id, msg);
  }
}
