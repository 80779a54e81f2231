/**
 * The rooms row inside its network namespace: bench/rows/rooms.js starts this under `unshare -n`
 * with lo up. argv[2]: the row's options as JSON. The last stdout line is `{ result }` or
 * `{ error }`.
 */
import { insideNetns } from '../integration/helpers/namespace.mjs';
import { measure } from './rows/rooms.js';

const write = (obj) => new Promise((resolve) => process.stdout.write(`${JSON.stringify(obj)}\n`, resolve));

if (!insideNetns()) {
  await write({ error: 'rooms-child.js runs only inside a loopback-only network namespace (unshare -n)' });
  process.exit(1);
}
try {
  await write({ result: await measure(JSON.parse(process.argv[2] ?? '{}')) });
  process.exit(0);
} catch (err) {
  await write({ error: err instanceof Error ? err.message : String(err) });
  process.exit(1);
}
