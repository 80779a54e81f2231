/**
 * The main thread's side of the writer worker: queues ops, posts them at most once per event-loop turn,
 * and settles each op's promise when the worker reports its COMMIT (or the batch's failure).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { PeerchatError } from '../errors.js';
import type { Deltas, Op } from './ops.js';
import type { FromWriter, ToWriter, WireError, WriterData } from './writer-worker.js';

export interface WriterStats {
  /** Transactions committed (or attempted). */
  transactions: number;
  /** Writes committed. */
  writes: number;
  /** The largest batch (writes in one transaction) so far. */
  maxBatch: number;
  /** History rows deleted by retention runs the worker started by itself. */
  retained: number;
}

export interface WriterEvents {
  /** The worker is gone or cannot write at all: every later write rejects with this error. */
  fatal(err: PeerchatError): void;
  /** A background run (retention, close) failed; the writer keeps going. */
  warning(err: PeerchatError): void;
  /** What a committed transaction changed in the outbox counters; called before its ops' promises resolve. */
  deltas(d: Deltas): void;
}

interface Waiter {
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
}

/** The worker's file next to this one: .js from dist/, .ts when tests run the sources. */
function workerUrl(): URL {
  const js = new URL('./writer-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(js))) return js;
  return new URL('./writer-worker.ts', import.meta.url);
}

/**
 * The compiled worker needs no flags: a TypeScript loader inherited from the parent made it several
 * times slower (measured). The .ts worker of tests needs that loader; --input-type (node -e) is refused.
 */
function workerArgv(url: URL): string[] {
  if (url.pathname.endsWith('.js')) return [];
  return process.execArgv.filter((a) => !a.startsWith('--input-type'));
}

/** Posts to the writer thread are at least this far apart while writes trickle in (see schedule). */
const POST_GAP_MS = 1;
/** A batch this large goes at once: only a trickle needs time to group. */
const POST_NOW_OPS = 64;

export class Writer {
  readonly stats: WriterStats = { transactions: 0, writes: 0, maxBatch: 0, retained: 0 };
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly waiting = new Map<number, Waiter>();
  private outgoing: Array<[number, Op]> = [];
  private scheduled = false;
  private lastPost = 0;
  private readonly postBound = () => this.post();
  /** Posts the worker has not committed yet (see post). */
  private inFlight = 0;
  private nextId = 1;
  private failure: PeerchatError | null = null;
  private closing: Promise<void> | null = null;
  private readonly exited: Promise<void>;

  constructor(
    private readonly path: string,
    opts: Omit<WriterData, 'port' | 'path'>,
    private readonly events: WriterEvents,
  ) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    const data: WriterData = { ...opts, path, port: port2 };
    const url = workerUrl();
    this.worker = new Worker(url, {
      workerData: data,
      transferList: [port2],
      execArgv: workerArgv(url),
      // the .ts worker of tests: the parent already type-checked these files, the worker only transpiles
      ...(url.pathname.endsWith('.ts') ? { env: { ...process.env, TS_NODE_TRANSPILE_ONLY: '1' } } : {}),
    });
    this.worker.unref(); // kept alive only while writes wait (see track)
    this.port.unref();
    this.port.on('message', (m: FromWriter) => this.onMessage(m));
    this.worker.on('error', (err) => this.fail(this.coded({ message: err.message }, err)));
    this.exited = new Promise((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.on('exit', (code) => {
      // results posted just before the thread ended may still sit in the port: take them first
      for (let m = receiveMessageOnPort(this.port); m; m = receiveMessageOnPort(this.port)) {
        this.onMessage(m.message as FromWriter);
      }
      if (!this.closing || this.waiting.size > 0)
        this.fail(this.coded({ message: `the writer thread exited (code ${code})` }));
    });
  }

  /** Queue an op for the next transaction; resolves with its result after COMMIT. */
  run(op: Op): Promise<unknown> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      if (this.waiting.size === 1) this.worker.ref();
      this.outgoing.push([id, op]);
      this.schedule();
    });
  }

  /**
   * One post per event-loop turn; the worker groups whatever piled up while it synced. Writes that
   * come one per turn (classic messages, one per connection) would each get their own fsynced
   * transaction, so a post within POST_GAP_MS of the last one waits for the gap instead.
   */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    const gap = this.lastPost + POST_GAP_MS - performance.now();
    if (gap <= 0 || this.outgoing.length >= POST_NOW_OPS) setImmediate(this.postBound);
    else setTimeout(this.postBound, gap).unref();
  }

  /** Writes not settled yet. */
  get size(): number {
    return this.waiting.size;
  }

  /** Commit everything queued, then stop the worker (its connection closes, the WAL checkpoints). */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.post(true);
      if (this.failure) await this.worker.terminate();
      else {
        this.worker.ref();
        this.send({ close: true });
      }
      await this.exited;
    })();
    return this.closing;
  }

  /**
   * Post what queued up, unless two posts already wait for their commit: one is committing and the
   * next is ready in the port, so the worker never idles, and anything newer joins the post made
   * when a commit reports back. Each post costs a clone and a wake-up of the thread: under load,
   * one per event-loop turn cost more main-thread time than the SQLite work it carried (measured).
   */
  private post(force = false): void {
    this.scheduled = false;
    if (this.outgoing.length === 0 || (!force && this.inFlight >= 2)) return;
    const ops = this.outgoing;
    this.outgoing = [];
    this.inFlight++;
    this.lastPost = performance.now();
    this.send({ ops });
  }

  private send(msg: ToWriter): void {
    try {
      this.port.postMessage(msg);
    } catch (err) {
      // an op that cannot be cloned (a caller passed a function or a symbol): fail those ops only
      if ('ops' in msg) {
        this.inFlight--;
        const e = this.coded({ message: (err as Error).message }, err);
        for (const [id] of msg.ops) this.settle(id, (w) => w.reject(e));
      }
    }
  }

  private onMessage(m: FromWriter): void {
    if ('posts' in m) {
      this.inFlight -= m.posts;
      // what waited for this commit goes now (the worker is committing the next post already),
      // unless it is a trickle that came within the gap: that waits to group (see schedule)
      if (this.outgoing.length >= POST_NOW_OPS || this.lastPost + POST_GAP_MS <= performance.now())
        this.post();
      else if (this.outgoing.length > 0) this.schedule();
    }
    if ('done' in m) {
      this.count(m.batch, m.done.filter((r) => r[1]).length);
      // all of the transaction's counter changes before any of its promises resolves
      if (m.deltas.length > 0) this.events.deltas(m.deltas);
      for (const r of m.done) {
        if (r[1]) this.settle(r[0], (w) => w.resolve(r[2]));
        else this.settle(r[0], (w) => w.reject(this.coded(r[2])));
      }
    } else if ('failed' in m) {
      this.count(m.batch, 0);
      const err = this.coded(m.error);
      for (const id of m.failed) this.settle(id, (w) => w.reject(err));
    } else if ('retained' in m) {
      this.stats.retained += m.retained;
    } else if ('warning' in m) {
      this.events.warning(this.coded(m.warning));
    } else if ('fatal' in m) {
      this.fail(this.coded(m.fatal));
    }
  }

  private count(batch: number, ok: number): void {
    this.stats.transactions++;
    this.stats.writes += ok;
    if (batch > this.stats.maxBatch) this.stats.maxBatch = batch;
  }

  private settle(id: number, fn: (w: Waiter) => void): void {
    const w = this.waiting.get(id);
    if (!w) return;
    this.waiting.delete(id);
    if (this.waiting.size === 0 && !this.closing) this.worker.unref();
    fn(w);
  }

  private fail(err: PeerchatError): void {
    if (this.failure) return;
    this.failure = err;
    for (const [id] of this.waiting) this.settle(id, (w) => w.reject(err));
    this.outgoing = [];
    if (!this.closing) this.events.fatal(err);
  }

  /** A worker-side failure as the coded error callers see, the original kept as `cause`. */
  private coded(e: WireError, original?: unknown): PeerchatError {
    if (e.code && !e.sqlite) return new PeerchatError(e.code as never, e.message);
    const cause = original ?? Object.assign(new Error(e.message), e.sqlite ? { code: e.sqlite } : {});
    if (e.sqlite && /^SQLITE_(CORRUPT|NOTADB|CANTOPEN|PERM|AUTH|READONLY|IOERR)/.test(e.sqlite)) {
      return new PeerchatError(
        'ERR_STORE_CORRUPT',
        `cannot use the database ${this.path} (${e.message}). Nothing was deleted; see docs/storage.md "Recovery"`,
        { cause },
      );
    }
    return new PeerchatError('ERR_STORE_WRITE', `cannot write ${this.path}: ${e.message}`, { cause });
  }
}
