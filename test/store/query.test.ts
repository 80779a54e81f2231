import t from 'tap';
import { historySql } from '../../src/store/query.js';

t.test('no filter: the newest 100 rows', async (t) => {
  const q = historySql({});
  t.match(q.sql, /^SELECT \* FROM messages +ORDER BY seq DESC LIMIT @limit$/);
  t.same(q.args, { limit: 100 });
});

t.test('every filter is a WHERE clause, before the limit', async (t) => {
  const q = historySql({ peer: 'p', before: 5, since: 2, search: '50%_\\', limit: Infinity });
  t.match(q.sql, /peer_address = @peer OR peer_key = @peer/);
  t.match(q.sql, /created_at < @before/);
  t.match(q.sql, /created_at >= @since/);
  t.match(q.sql, /text LIKE @search ESCAPE/);
  t.same(q.args, { peer: 'p', before: 5, since: 2, search: '%50\\%\\_\\\\%', limit: -1 });
});

t.test('before an id pages by seq; a NaN since and a negative limit are harmless', async (t) => {
  const q = historySql({ before: 'id1', since: Number.NaN, limit: -3.5 });
  t.match(q.sql, /seq < coalesce\(\(SELECT min\(seq\) FROM messages WHERE id = @before\), -1\)/);
  t.notMatch(q.sql, /@since/);
  t.same(q.args, { before: 'id1', limit: 0 });
});
