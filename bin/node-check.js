// Runs before anything else loads: on a Node older than `engines` the native modules (SQLite,
// RocksDB) can crash the process outright (a segfault on Node 20), so say why instead.
import { readFileSync } from 'node:fs';

/** The lowest Node version package.json's `engines.node` (">=x.y.z") allows. */
export function minimumNode() {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  return String(pkg.engines.node).replace(/^>=\s*/, '');
}

/** True when `version` ("22.1.0" or "v22.1.0") is older than `minimum`. */
export function olderThan(version, minimum) {
  const a = version.replace(/^v/, '').split('.').map(Number);
  const b = minimum.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) < (b[i] ?? 0);
  }
  return false;
}

/** The message for an unsupported Node, or null. */
export function nodeProblem(version = process.versions.node) {
  const min = minimumNode();
  if (!olderThan(version, min)) return null;
  return `peerchat needs Node.js ${min} or newer (24 LTS recommended); this is Node.js ${version}. Install a current Node.js, then run peerchat again.`;
}
