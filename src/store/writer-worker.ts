/**
 * The writer thread: owns the write connection and commits in natural groups. Everything that
 * arrived while the previous COMMIT was syncing goes into the next transaction; a result is posted
 * back only after its COMMIT returned.
 */
import { writeSync } from 'node:fs';
import { type MessagePort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { PeerchatError } from '../errors.js';
import { type AckOp, Acks } from './acks.js';
import { type Deltas, type Op, Ops, type RetentionLimits } from './ops.js';

export interface WriterData {
  path: string;
  port: MessagePort;
  retention: RetentionLimits;
  busyTimeoutMs: number;
  journalSizeLimit: number;
  /** Run retention after this many inserted rows (bounds growth between the hourly runs). */
  retainEveryRows: number;
  /** Test hook: print a line to stderr and pause this long before each COMMIT. */
  commitPauseMs: number;
}

/** From the main thread: ops to run, tagged with the id their result goes back under. */
export type ToWriter = { ops: Array<[id: number, op: Op]> } | { close: true };

/** A failure as plain data (errors cross the thread boundary as structured clones). */
export interface WireError {
  code?: string;
  message: string;
  sqlite?: string;
}

export type Result = [id: number, ok: true, value: unknown] | [id: number, ok: false, error: WireError];

/** `posts`: how many posts of the main thread this transaction took (writer.ts throttles on it). */
export type FromWriter =
  /** `deltas`: the outbox counter changes of the whole transaction, summed per key (one per batch, not per op). */
  | { done: Result[]; deltas: Deltas; batch: number; posts: number }
  | { failed: number[]; error: WireError; batch: number; posts: number }
  | { retained: number }
  | { warning: WireError }
  | { fatal: WireError }
  | { closed: true };

const data = workerData as WriterData;
const port = data.port;
let db: Database.Database;
let ops: Ops;
let acks: Acks;
let queue: Array<[number, Op]> = [];
/** Posts taken into `queue` since the last transaction. */
let posts = 0;
let closing = false;
let insertedSinceRetain = 0;

function wire(err: unknown): WireError {
  if (err instanceof PeerchatError) return { code: err.code, message: err.message };
  const sqlite = (err as { code?: unknown })?.code;
  return {
    message: err instanceof Error ? err.message : String(err),
    ...(typeof sqlite === 'string' ? { sqlite } : {}),
  };
}

function post(msg: FromWriter): void {
  port.postMessage(msg);
}

function open(): boolean {
  try {
    db = new Database(data.path, { timeout: data.busyTimeoutMs, fileMustExist: true });
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma(`busy_timeout = ${data.busyTimeoutMs}`);
    db.pragma(`journal_size_limit = ${data.journalSizeLimit}`);
    ops = new Ops(db, data.retention);
    acks = new Acks(db);
    return true;
  } catch (err) {
    post({ fatal: wire(err) });
    return false;
  }
}

function take(): void {
  for (;;) {
    const m = receiveMessageOnPort(port);
    if (!m) return;
    accept(m.message as ToWriter);
  }
}

function accept(msg: ToWriter): void {
  if ('close' in msg) closing = true;
  else {
    posts++;
    for (const o of msg.ops) queue.push(o);
  }
}

/**
 * Ops that commute with an ack of another id (new rows, peers seen): acks may run after them. Any
 * other op (retry, drop, expiry, another transition) first runs the acks queued before it, so
 * every row sees its ops in the order they were sent.
 */
function commutes(op: Op, acking: Set<string>): boolean {
  if (op.t === 'incoming' || op.t === 'seen') return true;
  return op.t === 'enqueue' && !acking.has(op.msg.id);
}

/** One transaction for the whole batch; a non-PeerchatError rolls all of it back. */
function commit(batch: Array<[number, Op]>, posts: number): void {
  const results: Result[] = [];
  const sums = new Map<string, number>();
  const sum = (deltas: Deltas) => {
    for (const [key, d] of deltas) sums.set(key, (sums.get(key) ?? 0) + d);
  };
  let pending: AckOp[] = [];
  const acking = new Set<string>();
  const flushAcks = () => {
    if (pending.length === 0) return;
    for (const r of acks.run(pending, Date.now())) {
      sum(r.deltas);
      results.push([r.ref, true, r.changed]);
    }
    pending = [];
    acking.clear();
  };
  try {
    db.exec('BEGIN IMMEDIATE');
    try {
      for (const [id, op] of batch) {
        if (op.t === 'ack') {
          pending.push({ ref: id, id: op.id });
          acking.add(op.id);
          continue;
        }
        if (!commutes(op, acking)) flushAcks();
        try {
          const r = ops.run(op);
          sum(r.deltas);
          results.push([id, true, r.value]);
          if (op.t === 'incoming' || op.t === 'enqueue' || op.t === 'room') insertedSinceRetain++;
        } catch (err) {
          if (!(err instanceof PeerchatError)) throw err;
          results.push([id, false, wire(err)]);
        }
      }
      flushAcks();
      if (data.commitPauseMs > 0) {
        writeSync(2, `PEERCHAT_TEST_COMMIT ${batch.length}\n`);
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, data.commitPauseMs);
      }
      db.exec('COMMIT');
    } catch (err) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw err;
    }
  } catch (err) {
    post({ failed: batch.map(([id]) => id), error: wire(err), batch: batch.length, posts });
    return;
  }
  const deltas: Deltas = [];
  for (const [key, d] of sums) if (d !== 0) deltas.push([key, d]);
  post({ done: results, deltas, batch: batch.length, posts });
}

function retainNow(): void {
  insertedSinceRetain = 0;
  try {
    const n = db.transaction(() => ops.retain(Date.now()))();
    if (n > 0) post({ retained: n });
  } catch (err) {
    post({ warning: wire(err) });
  }
}

function drain(): void {
  for (;;) {
    take();
    if (queue.length === 0) break;
    const batch = queue;
    queue = [];
    const taken = posts;
    posts = 0;
    commit(batch, taken);
    if (data.retainEveryRows > 0 && insertedSinceRetain >= data.retainEveryRows) retainNow();
  }
  if (closing) {
    try {
      db.close();
    } catch (err) {
      post({ warning: wire(err) });
    }
    post({ closed: true });
    port.close();
  }
}

if (open()) {
  port.on('message', (msg: ToWriter) => {
    accept(msg);
    drain();
  });
} else {
  port.close();
}
