/**
 * The loopback-only network namespace (`unshare -n`) that every DHT test and bench row runs in.
 * Plain JavaScript so both the TS tests (helpers/netns.ts) and the bench (plain node) use it.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export const NETNS_ENV = 'PEERCHAT_NETNS';
/** Nodes in the test DHT: with 1-3 nodes joins stalled in 30-50% of runs (dht-notes.md). */
export const TESTNET_SIZE = 10;
const PROBE_TIMEOUT_MS = 5000;

/** Network interfaces this process sees (from /proc/net/dev). */
export function interfaces() {
  try {
    return readFileSync('/proc/net/dev', 'utf8')
      .split('\n')
      .slice(2)
      .map((l) => l.split(':')[0]?.trim() ?? '')
      .filter((n) => n !== '');
  } catch {
    return [];
  }
}

/** True inside a namespace started by these helpers, with loopback as the only interface. */
export function insideNetns() {
  const names = interfaces();
  return process.env[NETNS_ENV] === '1' && names.length === 1 && names[0] === 'lo';
}

let probed = null;

/** Whether `unshare -n` works here: `{ available, reason? }` (cached). */
export function netnsSupport() {
  if (insideNetns()) return { available: true };
  if (process.platform !== 'linux') return { available: false, reason: 'network namespaces need Linux' };
  if (probed) return probed;
  const r = spawnSync('unshare', ['-n', 'sh', '-c', 'ip link set lo up'], {
    encoding: 'utf8',
    timeout: PROBE_TIMEOUT_MS,
  });
  if (r.error) {
    probed = { available: false, reason: `unshare is unavailable: ${r.error.message}` };
  } else if (r.status !== 0) {
    const why = (r.stderr || '').trim().split('\n')[0] || `exit code ${r.status}`;
    probed = {
      available: false,
      reason: `unshare -n is not permitted here (needs root or CAP_SYS_ADMIN): ${why}`,
    };
  } else {
    probed = { available: true };
  }
  return probed;
}

/** The arguments of `unshare` that run `node ...nodeArgs` in a new namespace with lo up. */
export function unshareArgs(nodeArgs) {
  return ['-n', 'sh', '-c', 'ip link set lo up && exec "$0" "$@"', process.execPath, ...nodeArgs];
}

/** A testnet of `size` DHT nodes on 127.0.0.1. Refuses to run outside the namespace. */
export async function startTestnet(size = TESTNET_SIZE) {
  if (!insideNetns()) throw new Error('startTestnet runs only inside the loopback-only network namespace');
  const { default: createTestnet } = await import('@hyperswarm/testnet');
  return createTestnet(size, { host: '127.0.0.1' });
}
