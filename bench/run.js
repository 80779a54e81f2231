#!/usr/bin/env node
/**
 * `npm run bench` (builds first): runs every row, prints the table, writes
 * bench/results/latest.json. Options: --quick (tiny counts, figures not meaningful),
 * --only a,b (row ids), --strict (exit 1 when a target is missed), --out <file>.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { formatTable, machineInfo, ROWS, runAll } from './index.js';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    strict: { type: 'boolean', default: false },
    out: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log(
    `usage: node bench/run.js [--quick] [--only ${ROWS.map((r) => r.id).join(',')}] [--strict] [--out file]`,
  );
  process.exit(0);
}
const only = values.only ? values.only.split(',').map((s) => s.trim()) : null;
const unknown = only?.filter((id) => !ROWS.some((r) => r.id === id)) ?? [];
if (unknown.length > 0) {
  console.error(`unknown row(s): ${unknown.join(', ')}; rows: ${ROWS.map((r) => r.id).join(', ')}`);
  process.exit(2);
}

const m = machineInfo();
console.log(
  `peerchat bench on ${m.cpu}, ${m.cores} cores, Node ${m.node}, ${m.os}${values.quick ? ' (quick)' : ''}`,
);
const results = await runAll({
  quick: values.quick,
  only,
  onRow: (r) => console.log(`  ${r.row}: ${r.seconds} s${r.error ? ` (error: ${r.error})` : ''}`),
});
console.log('');
console.log(formatTable(results));
console.log('');
if (results.misses.length > 0)
  console.log(`MISSED ${results.misses.length} target(s): ${results.misses.join('; ')}`);
else console.log('every target met');

const out = values.out ? resolve(values.out) : resolve(here, 'results', 'latest.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
console.log(`results: ${out} (${results.seconds} s)`);
if (values.strict && results.misses.length > 0) process.exitCode = 1;
