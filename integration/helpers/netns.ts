/**
 * Run DHT tests inside a network namespace that has only loopback (`unshare -n`), so nothing a
 * test does can reach any other machine, whatever hyperdht falls back to.
 *
 * A test file calls `await runFileInNetns(import.meta.url)` before importing tap. Outside a
 * namespace the file re-executes itself under `unshare -n sh -c 'ip link set lo up; exec node ...'`
 * (same node flags, same environment plus PEERCHAT_NETNS=1) and exits with the child's code; tap
 * reads the child's output as the file's. Where unshare is missing or not permitted it returns
 * `{ inside: false, reason }`, and the file skips with that reason.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { hookEgress } from './egress.mjs';

export const NETNS_ENV = 'PEERCHAT_NETNS';
/** Nodes in the test DHT: with 1-3 nodes joins stalled in 30-50% of runs (dht-notes.md). */
export const TESTNET_SIZE = 10;
const PROBE_TIMEOUT_MS = 5000;

export interface NetnsSupport {
  available: boolean;
  reason?: string;
}

/** Network interfaces the current process can see (from /proc/net/dev). */
export function interfaces(): string[] {
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

/** Bytes sent on each interface (from /proc/net/dev). */
export function interfaceTxBytes(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of readFileSync('/proc/net/dev', 'utf8').split('\n').slice(2)) {
    const [name, rest] = line.split(':');
    if (!name || !rest) continue;
    const cols = rest.trim().split(/\s+/).map(Number);
    out[name.trim()] = cols[8] ?? 0;
  }
  return out;
}

/** True inside a namespace started by this helper, with loopback as the only interface. */
export function insideNetns(): boolean {
  const names = interfaces();
  return process.env[NETNS_ENV] === '1' && names.length === 1 && names[0] === 'lo';
}

let probed: NetnsSupport | null = null;

/** Whether `unshare -n` works here (cached). */
export function netnsSupport(): NetnsSupport {
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

export type NetnsResult = { inside: true } | { inside: false; reason: string };

/**
 * Makes sure the calling test file runs inside a loopback-only namespace. Inside: resolves
 * `{ inside: true }`. Outside with unshare: re-executes the file there and never resolves (the
 * process exits with the child's code). Without unshare: resolves `{ inside: false, reason }`.
 */
export function runFileInNetns(fileUrl: string): Promise<NetnsResult> {
  if (insideNetns()) return Promise.resolve({ inside: true });
  if (process.env[NETNS_ENV] === '1') {
    return Promise.resolve({
      inside: false,
      reason: `${NETNS_ENV}=1 but interfaces other than lo are visible: ${interfaces().join(', ')}`,
    });
  }
  const support = netnsSupport();
  if (!support.available) return Promise.resolve({ inside: false, reason: support.reason ?? 'no unshare' });
  const child = spawn(
    'unshare',
    [
      '-n',
      'sh',
      '-c',
      'ip link set lo up && exec "$0" "$@"',
      process.execPath,
      ...process.execArgv,
      fileURLToPath(fileUrl),
      ...process.argv.slice(2),
    ],
    { stdio: 'inherit', env: { ...process.env, [NETNS_ENV]: '1' } },
  );
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.on(sig, () => child.kill(sig));
  }
  child.on('error', (err) => {
    process.stderr.write(`could not start the namespace: ${err.message}\n`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
  return new Promise(() => {});
}

/** A testnet of `size` DHT nodes on 127.0.0.1. Refuses to run outside the namespace. */
export async function startTestnet(size = TESTNET_SIZE) {
  if (!insideNetns()) throw new Error('startTestnet runs only inside the loopback-only network namespace');
  const { default: createTestnet } = await import('@hyperswarm/testnet');
  return createTestnet(size, { host: '127.0.0.1' });
}

export interface EgressRecorder {
  /** Every destination host seen (UDP sends, UDX stream connects, TCP connects, DNS lookups). */
  destinations(): string[];
  /** The destinations outside 127.0.0.0/8. */
  outside(): string[];
  restore(): void;
}

function isLoopback(host: string): boolean {
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) || host === '::1' || host === 'localhost';
}

/** Records every destination of the socket calls the DHT and Node make. Call before the DHT sends anything. */
export async function recordEgress(): Promise<EgressRecorder> {
  const seen = new Set<string>();
  const restore = await hookEgress((host) => {
    seen.add(host);
  });
  return {
    destinations: () => [...seen],
    outside: () => [...seen].filter((h) => !isLoopback(h)),
    restore,
  };
}
