/**
 * The writer thread: owns the write connection and commits in natural groups. Everything that
 * arrived while the previous COMMIT was syncing goes into the next transaction; a result is posted
 * back only after its COMMIT returned.
 */
import { writeSync } from 'node:fs';
import { type MessagePort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { PeerchatError } from '../errors.js';
import { type Op, Ops, type RetentionLimits } from './ops.js';

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

export type Result =
  | [id: number, ok: true, value: unknown, deltas?: Array<[string, number]>]
  | [id: number, ok: false, error: WireError];

export type FromWriter =
  | { done: Result[]; batch: number }
  | { failed: number[]; error: WireError; batch: number }
  | { retained: number }
  | { warning: WireError }
  | { fatal: WireError }
  | { closed: true };

const data = workerData as WriterData;
const port = data.port;
let db: Database.Database;
let ops: Ops;
let queue: Array<[number, Op]> = [];
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
  else for (const o of msg.ops) queue.push(o);
}

/** One transaction for the whole batch; a non-PeerchatError rolls all of it back. */
function commit(batch: Array<[number, Op]>): void {
  const results: Result[] = [];
  try {
    db.exec('BEGIN IMMEDIATE');
    try {
      for (const [id, op] of batch) {
        try {
          const r = ops.run(op);
          results.push(r.deltas.length ? [id, true, r.value, r.deltas] : [id, true, r.value]);
          if (op.t === 'incoming' || op.t === 'enqueue' || op.t === 'room') insertedSinceRetain++;
        } catch (err) {
          if (!(err instanceof PeerchatError)) throw err;
          results.push([id, false, wire(err)]);
        }
      }
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
    post({ failed: batch.map(([id]) => id), error: wire(err), batch: batch.length });
    return;
  }
  post({ done: results, batch: batch.length });
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
    commit(batch);
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
