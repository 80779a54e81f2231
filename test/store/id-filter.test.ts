import t from 'tap';
import { IdFilter } from '../../src/store/id-filter.js';
import { newId } from '../../src/store/ids.js';

t.test('no false negatives, few false positives at capacity', async (t) => {
  const f = new IdFilter(10_000);
  const added = Array.from({ length: 10_000 }, () => newId());
  for (const id of added) f.add(id);
  t.ok(
    added.every((id) => f.mayHave(id)),
    'every added id may be present',
  );
  t.ok(f.full);
  const others = Array.from({ length: 10_000 }, () => newId());
  const fp = others.filter((id) => f.mayHave(id)).length / others.length;
  t.ok(fp < 0.03, `false positives ${(fp * 100).toFixed(2)} %`);
});
