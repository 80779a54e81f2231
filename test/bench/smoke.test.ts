/**
 * The bench still runs: every row with tiny counts, no targets checked (the figures of a quick run
 * mean nothing). Needs dist/ (npm test builds it first).
 */
import { existsSync } from 'node:fs';
import t from 'tap';

const dist = new URL('../../dist/peer/peer.js', import.meta.url);

t.test('every bench row runs with tiny counts and gives figures of the right shape', async (t) => {
  if (!existsSync(dist)) {
    t.fail('dist/ is missing: run `npm run build` first (npm test does)');
    return;
  }
  t.setTimeout(60_000);
  const { formatTable, ROWS, runAll } = await import('../../bench/index.js');
  const results = await runAll({ quick: true });

  t.same(
    results.rows.map((r) => r.row),
    ROWS.map((r) => r.id),
    'one result per row, in order',
  );
  t.match(results.machine, { cpu: String, cores: Number, node: process.version });
  for (const row of results.rows) {
    t.equal(row.error, undefined, `${row.row} ran without error`);
    const skipped = (row as { skipped?: string }).skipped;
    if (skipped) {
      // e.g. the rooms row where `unshare -n` is unavailable: its metrics carry no figures
      t.comment(`${row.row} skipped: ${skipped}`);
      t.ok(
        row.metrics.every((m) => m.peerchat === null),
        `${row.row}: no figures when skipped`,
      );
      continue;
    }
    t.ok(row.metrics.length > 0, `${row.row} has metrics`);
    for (const m of row.metrics) {
      t.match(m, { metric: String, unit: String, target: String }, `${m.metric}: shape`);
      t.type(m.peerchat, 'number', `${m.metric}: peerchat figure`);
      // RSS growth of 3 sessions is within the noise of a loaded machine: any finite figure will do
      if (row.row === 'memory') t.ok(Number.isFinite(m.peerchat), `${m.metric}: finite`);
      else if (m.unit !== 'count') t.ok((m.peerchat as number) > 0, `${m.metric}: positive`);
      if (m.baseline !== null) {
        t.ok(m.baseline >= 0, `${m.metric}: baseline`);
        if (m.baseline > 0) t.type(m.ratio, 'number', `${m.metric}: ratio`);
      }
      if (m.target !== '') t.type(m.pass, 'boolean', `${m.metric}: target evaluated`);
    }
  }
  const table = formatTable(results);
  t.match(table, /^\| metric \| peerchat \| baseline \| ratio \| target \|/);
  t.equal(table.split('\n').length, 2 + results.rows.reduce((n, r) => n + r.metrics.length, 0));
});
