/** The history query as SQL: every filter in the WHERE clause, so the limit counts matching rows only. */
import { DEFAULT_HISTORY_LIMIT, type HistoryOptions } from './options.js';

export interface Sql {
  sql: string;
  args: Record<string, string | number>;
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** The newest `limit` matching rows, newest first (the caller reverses them). */
export function historySql(opts: HistoryOptions): Sql {
  const where: string[] = [];
  const args: Record<string, string | number> = {};
  if (opts.peer !== undefined) {
    where.push('(peer_address = @peer OR peer_key = @peer)');
    args.peer = opts.peer;
  }
  if (typeof opts.room === 'string') {
    where.push('room = @room');
    args.room = opts.room;
  }
  if (typeof opts.before === 'string') {
    where.push('seq < coalesce((SELECT min(seq) FROM messages WHERE id = @before), -1)');
    args.before = opts.before;
  } else if (typeof opts.before === 'number') {
    where.push('created_at < @before');
    args.before = opts.before;
  }
  if (typeof opts.since === 'number' && !Number.isNaN(opts.since)) {
    where.push('created_at >= @since');
    args.since = opts.since;
  }
  if (opts.search) {
    where.push("text LIKE @search ESCAPE '\\'");
    args.search = `%${escapeLike(opts.search)}%`;
  }
  const limit = opts.limit ?? DEFAULT_HISTORY_LIMIT;
  args.limit = Number.isFinite(limit) ? Math.max(0, Math.trunc(limit)) : -1;
  const sql =
    `SELECT * FROM messages ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ` +
    'ORDER BY seq DESC LIMIT @limit';
  return { sql, args };
}
