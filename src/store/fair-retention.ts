/**
 * Which history goes first when the message limit is reached. Deleting the oldest rows of
 * everyone let a stranger wipe the whole history: 106,657 classic messages in about 5 s from four
 * IPs pushed every older row past `history.maxMessages` (session 17). So the senders that hold a
 * large share of the newest rows (a flood, or the busiest conversation) give up their oldest rows
 * first; the history of everyone else goes only if that is not enough.
 */
import type Database from 'better-sqlite3';

/** The newest rows looked at to find the heavy senders (an index range, not the whole table). */
export const RECENT_WINDOW = 10_000;
/**
 * A sender is heavy with at least this share of the recent window: a flood must spread over more
 * than 100 sources (IPs, keys) to pass as light, and a contact who wrote a few messages among the
 * last 10,000 keeps them longest.
 */
export const HEAVY_SHARE = 0.01;

/** One sender: its key, or for a keyless (classic) row its IP ("ip:" — the address without its port). */
const WHO = "CASE WHEN peer_key = 'unverified' THEN rtrim(peer_address, '0123456789') ELSE peer_key END";

/**
 * Delete up to `excess` of the oldest deletable rows (`keep` is the SQL of the rows that may go)
 * of the heavy senders; `rows` is how many the table holds. Returns how many went.
 */
export function deleteHeavyFirst(db: Database.Database, rows: number, excess: number, keep: string): number {
  if (excess <= 0) return 0;
  const window = Math.min(RECENT_WINDOW, rows);
  const heavy = db
    .prepare(
      `SELECT who FROM (SELECT ${WHO} AS who FROM messages ORDER BY seq DESC LIMIT ?)
       GROUP BY who HAVING count(*) >= ?`,
    )
    .pluck()
    .all(window, Math.max(1, Math.ceil(window * HEAVY_SHARE))) as string[];
  if (heavy.length === 0) return 0;
  return db
    .prepare(
      `DELETE FROM messages WHERE seq IN (SELECT seq FROM messages
         WHERE ${WHO} IN (SELECT value FROM json_each(?)) AND ${keep} ORDER BY seq LIMIT ?)`,
    )
    .run(JSON.stringify(heavy), excess).changes;
}
