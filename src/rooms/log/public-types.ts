/**
 * The room log's types that the package's public types reach: no hypercore or protomux types here
 * (those modules ship none), and no import of types.ts (in-order.ts needs RoomEntry without a cycle).
 */
import type { EntryBody } from './entry.js';

/** A room log entry as the reader gets it. */
export interface RoomEntry extends EntryBody {
  /** Author core key, hex. */
  author: string;
  /** Position in the author's core. */
  seq: number;
  /** Written by this member. */
  local: boolean;
  /** Arrived by catch-up: written before the connection that delivered it was attached. */
  late: boolean;
}

/** A member of a room as `peer.members(room)` lists it. */
export interface RoomMember {
  /** Author core key, hex. */
  key: string;
  /** Name on the member's latest entry (a claim), or null before it wrote one. */
  name: string | null;
  /** Latest of: its newest entry's ts, the last time a connected member announced it as its own. */
  lastSeen: number | null;
  /** A connected session announces this core as its own. */
  online: boolean;
  /** Remote peer keys (hex) of the sessions that announce this core as their own. */
  peers: string[];
}
