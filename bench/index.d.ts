/** Types of bench/index.js (plain ESM over dist/), for the smoke test and tsc. */
import type { PeerOptions } from '../src/peer/options.js';

export interface Metric {
  metric: string;
  unit: string;
  peerchat: number | null;
  baseline: number | null;
  /** peerchat / baseline. */
  ratio: number | null;
  /** The target as text; '' when the line has none. */
  target: string;
  /** null when the line has no target or no figure. */
  pass: boolean | null;
  note?: string;
}

export interface RowResult {
  row: string;
  metrics: Metric[];
  details: Record<string, unknown>;
  error?: string;
  seconds?: number;
}

export interface Results {
  date: string;
  seconds: number;
  quick: boolean;
  machine: MachineInfo;
  rows: RowResult[];
  /** Names of the metrics that missed their target. */
  misses: string[];
}

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGB: number;
  node: string;
  os: string;
}

export interface ThroughputOptions {
  count?: number;
  window?: number;
  bytes?: number;
  warmup?: number;
  trials?: number;
  /** More PeerOptions for both Peers, or a function of each Peer's data directory. */
  peerOptions?: Partial<PeerOptions> | ((dataDir: string) => Partial<PeerOptions>);
  target?: number;
}

export function nativeThroughput(opts?: ThroughputOptions): Promise<RowResult>;
export function storeThroughput(opts?: ThroughputOptions): Promise<RowResult>;
export function classicThroughput(opts?: {
  connections?: number;
  concurrency?: number;
  bytes?: number;
  trials?: number;
}): Promise<RowResult>;
export function roundTrip(opts?: {
  count?: number;
  bytes?: number;
  warmup?: number;
  trials?: number;
}): Promise<RowResult>;
export function fanOut(opts?: {
  peers?: number;
  rounds?: number;
  warmup?: number;
  bytes?: number;
}): Promise<RowResult>;
export function discovery(opts?: {
  sizes?: number[];
  maxRounds?: number;
  limitMs?: number;
}): Promise<RowResult>;
export function memory(opts?: { sessions?: number }): Promise<RowResult>;
export function startup(opts?: { runs?: number }): Promise<RowResult>;
export function cliDefault(opts?: { count?: number; bytes?: number; trials?: number }): Promise<RowResult>;

export interface RowSpec {
  id: string;
  run: (opts?: Record<string, unknown>) => Promise<RowResult>;
  quick: Record<string, unknown>;
}
export const ROWS: RowSpec[];

export function machineInfo(): MachineInfo;
export function runAll(opts?: {
  quick?: boolean;
  only?: string[] | null;
  onRow?: ((row: RowResult) => void) | null;
}): Promise<Results>;
export function formatTable(results: Results): string;
