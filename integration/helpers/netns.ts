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
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { hookEgress } from './egress.mjs';
import { insideNetns, interfaces, NETNS_ENV, netnsSupport, unshareArgs } from './namespace.mjs';

export {
  insideNetns,
  interfaces,
  NETNS_ENV,
  type NetnsSupport,
  netnsSupport,
  startTestnet,
  TESTNET_SIZE,
  unshareArgs,
} from './namespace.mjs';

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
    unshareArgs([...process.execArgv, fileURLToPath(fileUrl), ...process.argv.slice(2)]),
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

/** tap's root test, as a DHT test file's `main` receives it. */
export type Tap = typeof import('tap')['default'];

/**
 * The prologue of every DHT test file: re-run the file inside the namespace (runFileInNetns), load
 * tap only there, and run `main`; where unshare is unavailable, plan 0 tests with the reason.
 */
export async function netnsTest(fileUrl: string, main: (t: Tap) => Promise<void>): Promise<void> {
  const ns = await runFileInNetns(fileUrl);
  const { default: t } = await import('tap');
  if (!ns.inside) t.plan(0, `needs a network namespace: ${ns.reason}`);
  else await main(t);
}
