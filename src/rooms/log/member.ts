/** A member of a room as `peer.members(room)` lists it (public: no vendor types here). */
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
