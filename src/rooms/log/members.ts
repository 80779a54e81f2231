/** A room's members as `members()` shows them, and the checks of the options a log is opened with. */
import type Protomux from 'protomux';
import { PeerchatError } from '../../errors.js';
import { type Author, type RoomLogOptions, type RoomMember, remoteOf } from './types.js';

/** Entries kept per room (all authors together) unless `maxEntries` says otherwise. */
export const DEFAULT_MAX_ENTRIES = 10_000;

/**
 * Every author known, online or not. `own`: the session's claimed author key (announce), `seen`:
 * when a session last announced a key as its own.
 */
export function listMembers(
  authors: Iterable<Author>,
  sessions: Iterable<{ mux: Protomux; own: string | null }>,
  seen: ReadonlyMap<string, number>,
  self: string,
): RoomMember[] {
  const online = new Map<string, string[]>();
  for (const s of sessions) {
    const remote = remoteOf(s.mux);
    if (s.own) online.set(s.own, [...(online.get(s.own) ?? []), ...(remote ? [remote] : [])]);
  }
  return [...authors].map((a) => {
    const last = Math.max(a.lastTs ?? -1, seen.get(a.key) ?? -1);
    return {
      key: a.key,
      name: a.name,
      lastSeen: last < 0 ? null : last,
      online: a.key === self || online.has(a.key),
      peers: online.get(a.key) ?? [],
    };
  });
}

export function checkOptions(opts: RoomLogOptions): void {
  if (opts.topic.byteLength !== 32) throw new PeerchatError('ERR_INVALID_ROOM', 'a room topic is 32 bytes');
  const max = opts.maxEntries ?? DEFAULT_MAX_ENTRIES;
  if (!Number.isSafeInteger(max) || max < 1) {
    throw new PeerchatError('ERR_CONFIG_INVALID', 'maxEntries must be a positive integer');
  }
  if (opts.encryptionKey && opts.encryptionKey.byteLength !== 32) {
    throw new PeerchatError('ERR_INVALID_ROOM', 'a room encryption key is 32 bytes');
  }
}
