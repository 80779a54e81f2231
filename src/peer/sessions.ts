/**
 * Sessions in the peer tables: attach a ready session to its record (one key is one peer),
 * the tie-break between two sessions with one peer, replacement, EXIT, and the grace period of a
 * dropped room connection. The place where a session's identity meets the tables.
 */

import { ROOM_GRACE_MS } from '../defaults.js';
import { PeerchatError } from '../errors.js';
import { formatAddress } from '../net/address.js';
import type { ClassicConnection } from '../net/classic/connection.js';
import { ClassicSession } from '../net/classic/session.js';
import { fingerprint } from '../net/native/identity.js';
import type { Session } from '../net/session.js';
import type { Opened } from '../net/upgrade.js';
import type { DisconnectReason, PeerInfo, Via } from '../types.js';
import type { PeerCore } from './core.js';
import { isRoomVia, type PeerRecord, toInfo } from './table.js';

export interface SessionsHooks {
  /** Our own key, for the tie-break of a simultaneous connect. */
  localId(): string | null;
  /** The joined rooms in which a swarm connection with this key is live. */
  roomsOf(key: string): string[];
  /** A session was attached: wire its messages and requests. */
  attached(rec: PeerRecord, session: Session): void;
  /** After the events of an attach: remember the peer, resend what waits for it. */
  established(rec: PeerRecord, session: Session): void;
}

export class Sessions {
  /** Sessions of one-shot senders (Opened.transient): never replaced by, and never replacing, the key's own. */
  private readonly transient = new WeakSet<Session>();

  constructor(
    private readonly core: PeerCore,
    private readonly hooks: SessionsHooks,
  ) {}

  /** Put a ready session in the tables; a session that loses the tie-break is closed. */
  attach(o: Opened): PeerInfo {
    const { core } = this;
    const { session, host, port, name, key, via } = o;
    const address = formatAddress(host, port);
    if (core.closing()) {
      void session.exit();
      throw new PeerchatError('ERR_CLOSED', 'the peer is shutting down');
    }
    // it may have closed between its ready and now (hello and EXIT in one read): a closed session
    // would never emit 'close' again, and would stay "connected" forever
    if (session.closed) {
      throw new PeerchatError('ERR_DISCONNECTED', `${address} closed the session before it was attached`);
    }
    // one key is one peer: met at another address (a room, a NAT), it keeps its entry
    const known = key ? core.table.byKey(key) : undefined;
    const [rec, isNew] =
      known && known.address !== address && ((known.session && !known.session.closed) || known.grace)
        ? [known, false]
        : core.table.upsert(address, host, port);
    const old = rec.session;
    let samePeer = false;
    if (o.transient) this.transient.add(session);
    if (old && !old.closed) {
      if (this.claimsAnothersAddress(session, old, key, via)) {
        core.warnings.warn(
          'ERR_ADDRESS_IN_USE',
          `refused a session from ${address} with key ${fingerprint(key!)}: ${fingerprint(old.remoteKey!)} is ` +
            'connected from that address (a second peer behind one IP on the same port, or someone claiming it)',
        );
        session.destroy('closed');
        return toInfo(rec);
      }
      // a one-shot `peerchat send` beside the running peer of the same key: both sessions stay
      const beside = key !== null && old.remoteKey === key && (o.transient || this.transient.has(old));
      if (beside && o.transient) {
        this.hooks.attached(rec, session); // its messages are taken; the entry keeps the live session
        return toInfo(rec);
      }
      if (!beside && !this.replaces(session, old, rec, via)) {
        session.destroy('closed');
        return toInfo(rec);
      }
      samePeer = key !== null && old.remoteKey === key;
      rec.session = null;
      // another key took the address (one we dialled): the peer that had it is gone, so say so
      if (!samePeer && key !== null && old.remoteKey !== null)
        core.emit('peer-disconnected', toInfo(rec), 'closed');
      if (!beside) old.destroy('closed'); // a one-shot's session ends by itself, with its EXIT
    }
    rec.session = session;
    rec.name = name;
    rec.key = key;
    rec.fingerprint = key ? fingerprint(key) : null;
    rec.protocol = session.protocol;
    rec.via = via;
    rec.since = Date.now();
    this.hooks.attached(rec, session);
    session.once('close', (reason) => this.onClose(rec, session, reason));
    if (isNew) core.emit('peer-discovered', toInfo(rec));
    if (rec.grace) {
      // a replaced swarm connection: the peer never left
      clearTimeout(rec.grace);
      rec.grace = null;
    } else if (!samePeer) {
      core.emit('peer-connected', toInfo(rec));
    }
    this.hooks.established(rec, session);
    return toInfo(rec);
  }

  /**
   * An inbound session whose key differs from that of the live session at the address it claims.
   * Its port is only a claim (docs/security.md "Pins and contacts"): it must not push a connected
   * peer out of its entry. A session we dialled may (we reached that address ourselves), and rooms
   * meet peers by key, not by address.
   */
  private claimsAnothersAddress(next: Session, old: Session, key: string | null, via: Via): boolean {
    if (key === null || old.remoteKey === null || old.remoteKey === key) return false;
    return !next.isInitiator && !isRoomVia(via);
  }

  /**
   * A second session with the same peer: which one both sides keep. Decided only from what both
   * sides see alike (keys, who initiated, the transport), never from when each side saw it: a
   * time window read differently on each side under load closed both sessions. See
   * docs/security.md "Two sessions with one peer".
   */
  replaces(next: Session, old: Session, rec: PeerRecord, nextVia: Via = 'tcp'): boolean {
    const ours = this.hooks.localId();
    // classic, or no identity: the newer wins (a keyless one never replaces a keyed one: peer.ts #adopt)
    if (!next.remoteKey || !ours || !old.remoteKey) return true;
    const nextRoom = isRoomVia(nextVia);
    const oldRoom = isRoomVia(rec.via);
    // hyperswarm keeps one connection per key on each side and hands over a new one only once it
    // chose it over the old: follow it. Between a room and a TCP session the room one stays, since
    // hyperswarm would dial a closed room connection again.
    if (nextRoom || oldRoom) return nextRoom;
    const nextInitiator = next.isInitiator ? ours : next.remoteKey;
    const oldInitiator = old.isInitiator ? ours : old.remoteKey;
    // the same side dialled again: it gave up the old one (a restart, a lost connection)
    if (nextInitiator === oldInitiator) return true;
    // both dialled: both keep the one the lower key dialled
    return nextInitiator < oldInitiator;
  }

  /** A classic EXIT on a connection that is not a session: end that address's classic session, if any. */
  exitFrom(host: string, port: number, conn: ClassicConnection): void {
    const address = formatAddress(host, port);
    const rec = this.core.table.get(address);
    const target =
      rec?.session instanceof ClassicSession && rec.session.remoteHost === host ? rec.session : null;
    if (target) target.remoteExit();
    else if (rec && !rec.session) this.core.table.delete(address);
    if (conn !== target?.conn) conn.destroy();
  }

  /** Bad input that closed a session was already reported by the session as a warning. */
  private onClose(rec: PeerRecord, session: Session, reason: DisconnectReason): void {
    const { core } = this;
    if (rec.session !== session) return;
    rec.session = null;
    const info = toInfo(rec);
    // the original drops an exiting peer from its active peers too
    if (reason === 'exit') core.table.delete(rec.address);
    else core.table.trim(); // throwaway sessions must not pile up as unconnected entries
    if (core.closing() && reason === 'closed') return;
    const inRoom = isRoomVia(rec.via) || (rec.key !== null && this.hooks.roomsOf(rec.key).length > 0);
    if (reason === 'lost' && inRoom && !core.closing()) {
      // hyperswarm replaces a connection by closing the old one first, and the remote may replace
      // our TCP session by its room one before we do: wait for the new one
      rec.grace = setTimeout(() => {
        rec.grace = null;
        if (!rec.session) core.emit('peer-disconnected', info, reason);
      }, ROOM_GRACE_MS);
      rec.grace.unref();
      return;
    }
    core.emit('peer-disconnected', info, reason);
  }
}
