/**
 * Integration harness: runs real `node bin/peerchat.js` processes (execa) on ephemeral ports,
 * reads their NDJSON events and drives them through stdin. Imports nothing from src/: the
 * product is only seen the way a user sees it.
 *
 * Every child is spawned through a Cluster, which kills them all in t.teardown even when the
 * test fails or times out. Peers also end on their own when stdin closes, so a test process
 * that dies without teardown leaves nothing behind either.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type Result, type ResultPromise } from 'execa';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BIN = path.join(REPO, 'bin', 'peerchat.js');
export const LOOPBACK = '127.0.0.1';

/** Default deadline for an awaited event or eval result. */
export const DEFAULT_WAIT_MS = 10_000;
/** A peer must print `listening` this soon after spawn (node startup + sodium on a busy CI box). */
export const START_TIMEOUT_MS = 15_000;
/** After SIGTERM a child gets this long before SIGKILL. */
const KILL_GRACE_MS = 3000;
/** Non-JSON stdout and stderr lines kept per peer, for diagnostics. */
const MAX_DIAG_LINES = 200;

export interface PeerEvent {
  type: string;
  [key: string]: unknown;
}

export interface ExitInfo {
  exitCode: number | undefined;
  signal: string | undefined;
}

export interface SpawnOptions {
  name?: string;
  /** Config file contents, written to the peer's temp dir and passed with --config. */
  config?: Record<string, unknown>;
  /** "ip:port" targets passed as --connect. */
  connect?: string[];
  /** Plugin specs passed as --plugin. */
  plugins?: string[];
  /** More CLI arguments, appended last. */
  args?: string[];
  /** Extra environment (on top of the isolated one). */
  env?: Record<string, string>;
  /** Wait for the `listening` event before resolving. @default true */
  waitListening?: boolean;
  /** Skip --port 0 (e.g. when the config file sets the port). @default false */
  noPort?: boolean;
  /** Skip --name (e.g. when the config file names the peer). @default false */
  noName?: boolean;
  /** Node options placed before the script (e.g. `--import <preload>`). */
  nodeArgs?: string[];
  /** The data directory (reuse one to restart a peer with its key and store). @default a fresh one */
  dataDir?: string;
  /** 'ignore': stdin is /dev/null (a service manager's default). @default 'pipe' */
  stdin?: 'pipe' | 'ignore';
}

type Predicate = (e: PeerEvent) => boolean;

interface Waiter {
  type: string;
  predicate: Predicate;
  resolve: (e: PeerEvent) => void;
}

/** Splits a stream into lines, whatever the chunking (a line may span many chunks). */
export function lineSplitter(onLine: (line: string) => void): { push(chunk: string): void; end(): void } {
  let rest = '';
  return {
    push(chunk) {
      rest += chunk;
      let i = rest.indexOf('\n');
      while (i !== -1) {
        onLine(rest.slice(0, i).replace(/\r$/, ''));
        rest = rest.slice(i + 1);
        i = rest.indexOf('\n');
      }
    },
    end() {
      if (rest !== '') onLine(rest);
      rest = '';
    },
  };
}

/** The environment a child sees: no PEERCHAT_* from the caller, HOME and XDG dirs in `home`. */
export function isolatedEnv(home: string, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (
      v === undefined ||
      k.startsWith('PEERCHAT_') ||
      k.startsWith('XDG_') ||
      k.startsWith('TAP') ||
      k.startsWith('_TAPJS')
    )
      continue;
    // tap's loader hooks and coverage collection are not for the product (and slow it down)
    if (k === 'NODE_OPTIONS' || k === 'NODE_V8_COVERAGE') continue;
    env[k] = v;
  }
  Object.assign(env, {
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    XDG_DATA_HOME: path.join(home, '.local', 'share'),
    XDG_STATE_HOME: path.join(home, '.local', 'state'),
    XDG_CACHE_HOME: path.join(home, '.cache'),
    NO_COLOR: '1',
  });
  return Object.assign(env, extra);
}

/** One running `peerchat` process in --json mode. */
export class PeerProcess {
  /** Every NDJSON object printed on stdout, in order. */
  readonly events: PeerEvent[] = [];
  /** stdout lines that were not JSON objects (should stay empty in --json mode). */
  readonly junk: string[] = [];
  readonly stderr: string[] = [];
  name: string;
  port = 0;
  id: string | null = null;
  readonly exited: Promise<ExitInfo>;
  exit: ExitInfo | null = null;
  private waiters: Waiter[] = [];
  /** `result` and `error` events: the answers to stdin lines, in order. */
  private readonly answers: PeerEvent[] = [];
  private readonly answerWaiters = new Map<number, (e: PeerEvent) => void>();
  private asked = 0;
  private exitWaiters: (() => void)[] = [];

  constructor(
    readonly child: ResultPromise,
    name: string,
    readonly dir: string,
  ) {
    this.name = name;
    const out = lineSplitter((line) => this.onStdout(line));
    const err = lineSplitter((line) => keep(this.stderr, line));
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stdout?.on('data', (c: string) => out.push(c));
    child.stdout?.on('end', () => out.end());
    child.stderr?.on('data', (c: string) => err.push(c));
    child.stderr?.on('end', () => err.end());
    // a peer that exits early must not crash the test with EPIPE
    child.stdin?.on('error', () => {});
    this.exited = (child as unknown as Promise<Result>).then(
      (r) => this.onExit({ exitCode: r.exitCode, signal: r.signal }),
      (e: { exitCode?: number; signal?: string }) => this.onExit({ exitCode: e.exitCode, signal: e.signal }),
    );
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** "127.0.0.1:<port>": how other peers on this machine reach it. */
  get address(): string {
    return `${LOOPBACK}:${this.port}`;
  }

  get running(): boolean {
    return this.exit === null;
  }

  private onExit(info: ExitInfo): ExitInfo {
    this.exit = info;
    for (const w of this.exitWaiters.splice(0)) w();
    return info;
  }

  private onStdout(line: string): void {
    if (line.trim() === '') return;
    let e: unknown;
    try {
      e = JSON.parse(line);
    } catch {
      keep(this.junk, line);
      return;
    }
    if (!e || typeof e !== 'object' || typeof (e as PeerEvent).type !== 'string') {
      keep(this.junk, line);
      return;
    }
    const ev = e as PeerEvent;
    this.events.push(ev);
    if (ev.type === 'listening') {
      this.port = Number(ev.port);
      this.id = (ev.id as string | null) ?? null;
      if (typeof ev.name === 'string') this.name = ev.name;
    }
    if (ev.type === 'result' || ev.type === 'error') {
      this.answers.push(ev);
      this.answerWaiters.get(this.answers.length - 1)?.(ev);
    }
    for (const w of [...this.waiters]) {
      if (w.type === ev.type && w.predicate(ev)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(ev);
      }
    }
  }

  /** Events of one type seen so far. */
  all(type: string, predicate: Predicate = () => true): PeerEvent[] {
    return this.events.filter((e) => e.type === type && predicate(e));
  }

  /**
   * The first event of `type` matching `predicate`, including ones already seen
   * (from index `since` of `events`). Rejects after `timeoutMs` or when the peer exits first.
   */
  waitFor(
    type: string,
    predicate: Predicate = () => true,
    timeoutMs = DEFAULT_WAIT_MS,
    since = 0,
  ): Promise<PeerEvent> {
    const seen = this.events.slice(since).find((e) => e.type === type && predicate(e));
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      let done = false;
      const finish = (fn: () => void) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== waiter);
        this.exitWaiters = this.exitWaiters.filter((w) => w !== onExit);
        fn();
      };
      const waiter: Waiter = { type, predicate, resolve: (e) => finish(() => resolve(e)) };
      const onExit = () => finish(() => reject(this.failure(`exited while waiting for "${type}"`)));
      const timer = setTimeout(
        () => finish(() => reject(this.failure(`no "${type}" event within ${timeoutMs} ms`))),
        timeoutMs,
      );
      this.waiters.push(waiter);
      if (this.exit) onExit();
      else this.exitWaiters.push(onExit);
    });
  }

  /** Like waitFor, but only events printed after this call. */
  next(type: string, predicate: Predicate = () => true, timeoutMs = DEFAULT_WAIT_MS): Promise<PeerEvent> {
    return this.waitFor(type, predicate, timeoutMs, this.events.length);
  }

  /** Write raw lines to stdin without waiting for anything. */
  write(text: string): void {
    this.child.stdin!.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /**
   * Evaluate one complete line and resolve to its `result` value. Each non-empty line yields
   * exactly one `result` (or one `error`, which also ends the script), in order, so the n-th
   * line asked is matched with the n-th answer.
   */
  async eval(line: string, timeoutMs = DEFAULT_WAIT_MS): Promise<unknown> {
    if (line.includes('\n') || line.trim() === '') throw new Error('eval takes one non-empty line');
    const n = this.asked++;
    this.write(line);
    const ev = await this.answer(n, timeoutMs);
    if (ev.type === 'error') {
      throw Object.assign(new Error(`${this.name}: ${line}: ${String(ev.message)} (${String(ev.code)})`), {
        event: ev,
      });
    }
    return ev.value;
  }

  /** The n-th (0-based) `result`/`error` line. */
  private answer(n: number, timeoutMs: number): Promise<PeerEvent> {
    const seen = this.answers[n];
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const onExit = () => finish(() => reject(this.failure(`exited before answering input #${n + 1}`)));
      const timer = setTimeout(
        () => finish(() => reject(this.failure(`no answer to input #${n + 1} within ${timeoutMs} ms`))),
        timeoutMs,
      );
      const finish = (fn: () => void) => {
        clearTimeout(timer);
        this.answerWaiters.delete(n);
        this.exitWaiters = this.exitWaiters.filter((w) => w !== onExit);
        fn();
      };
      this.answerWaiters.set(n, (e) => finish(() => resolve(e)));
      if (this.exit) onExit();
      else this.exitWaiters.push(onExit);
    });
  }

  /** Close stdin: the peer finishes the lines it has and exits. */
  endInput(): void {
    this.child.stdin?.end();
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    if (this.exit) return false;
    return this.child.kill(signal);
  }

  /** `await peer.quit()` through stdin, then wait for the process to end. */
  async quit(timeoutMs = DEFAULT_WAIT_MS): Promise<ExitInfo> {
    if (!this.exit) {
      this.asked++;
      this.write('await peer.quit()');
      this.endInput();
    }
    return this.waitExit(timeoutMs);
  }

  /** Resolves when the process has exited; rejects after `timeoutMs`. */
  waitExit(timeoutMs = DEFAULT_WAIT_MS): Promise<ExitInfo> {
    if (this.exit) return Promise.resolve(this.exit);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(this.failure(`still running after ${timeoutMs} ms`)), timeoutMs);
      void this.exited.then((info) => {
        clearTimeout(timer);
        resolve(info);
      });
    });
  }

  /** A diagnostic error: what the peer printed lately. */
  failure(what: string): Error {
    const tail = (xs: unknown[]) => xs.slice(-15).map((x) => (typeof x === 'string' ? x : JSON.stringify(x)));
    return new Error(
      [
        `peer ${this.name} (${this.address}, pid ${this.child.pid}) ${what}`,
        `  last events: ${tail(this.events).join('\n    ')}`,
        `  stderr: ${tail(this.stderr).join('\n    ')}`,
        this.junk.length ? `  non-JSON stdout: ${tail(this.junk).join('\n    ')}` : '',
      ].join('\n'),
    );
  }
}

function keep(list: string[], line: string): void {
  list.push(line);
  if (list.length > MAX_DIAG_LINES) list.shift();
}

/** The minimal slice of a tap Test the Cluster needs. */
export interface TeardownHost {
  teardown(fn: () => void | Promise<void>): void;
}

/**
 * Spawns peers and one-shot commands in a temp dir and owns them: everything it started is
 * killed, and the temp dir removed, in t.teardown.
 */
export class Cluster {
  readonly root: string;
  readonly peers: PeerProcess[] = [];
  /** Every pid ever spawned, for the orphan check. */
  readonly pids: number[] = [];
  private children: ResultPromise[] = [];
  private seq = 0;

  constructor(t?: TeardownHost) {
    this.root = mkdtempSync(path.join(os.tmpdir(), 'peerchat-it-'));
    t?.teardown(() => this.destroy());
  }

  /** A fresh directory inside the cluster's temp dir. */
  dir(label: string): string {
    const d = path.join(this.root, `${String(++this.seq).padStart(2, '0')}-${label}`);
    mkdirSync(d, { recursive: true });
    mkdirSync(path.join(d, 'home'), { recursive: true });
    mkdirSync(path.join(d, 'cwd'), { recursive: true });
    return d;
  }

  /** Write a file into the cluster's temp dir; returns its path. */
  file(name: string, contents: string): string {
    const p = path.join(this.root, name);
    writeFileSync(p, contents);
    return p;
  }

  async spawn(opts: SpawnOptions = {}): Promise<PeerProcess> {
    const name = opts.name ?? `p${this.peers.length + 1}`;
    const dir = this.dir(name);
    const args = ['--json', '--data-dir', opts.dataDir ?? path.join(dir, 'data'), '--host', LOOPBACK];
    if (!opts.noPort) args.push('--port', '0');
    if (!opts.noName) args.push('--name', name);
    if (opts.config) {
      const file = path.join(dir, 'peerchat.config.json');
      writeFileSync(file, JSON.stringify(opts.config, null, 2));
      args.push('--config', file);
    }
    for (const c of opts.connect ?? []) args.push('--connect', c);
    for (const p of opts.plugins ?? []) args.push('--plugin', p);
    args.push(...(opts.args ?? []));
    const child = this.start(args, dir, opts.env, undefined, opts.stdin ?? 'pipe', opts.nodeArgs);
    const peer = new PeerProcess(child, name, dir);
    this.peers.push(peer);
    if (opts.waitListening !== false) await peer.waitFor('listening', () => true, START_TIMEOUT_MS);
    return peer;
  }

  /** Spawn `n` peers at once; `opts(i)` gives the options of the i-th (0-based). */
  spawnMany(n: number, opts: (i: number) => SpawnOptions = () => ({})): Promise<PeerProcess[]> {
    return Promise.all(Array.from({ length: n }, (_, i) => this.spawn({ name: `p${i + 1}`, ...opts(i) })));
  }

  /**
   * Spawn `n` peers and connect every pair (peer i dials every j > i). Resolves once every
   * peer reported `peer-connected` for each of the others.
   */
  async mesh(n: number, opts: (i: number) => SpawnOptions = () => ({})): Promise<PeerProcess[]> {
    const peers = await this.spawnMany(n, opts);
    await Promise.all(
      peers.flatMap((p, i) =>
        peers.slice(i + 1).map((q) => p.eval(`await peer.connect(${JSON.stringify(q.address)})`)),
      ),
    );
    await Promise.all(
      peers.flatMap((p) =>
        peers.filter((q) => q !== p).map((q) => p.waitFor('peer-connected', (e) => e.peer === q.address)),
      ),
    );
    return peers;
  }

  /**
   * Run a one-shot command (`send`, `query`, `run`, `--eval`) to completion in an isolated dir.
   * Never rejects on a non-zero exit: the result carries exitCode, stdout and stderr.
   */
  async run(
    args: string[],
    opts: { env?: Record<string, string>; timeoutMs?: number } = {},
  ): Promise<Result> {
    const dir = this.dir('cmd');
    const full = ['--data-dir', path.join(dir, 'data'), '--host', LOOPBACK, '--port', '0', ...args];
    const child = this.start(full, dir, opts.env, opts.timeoutMs ?? DEFAULT_WAIT_MS, 'ignore');
    return (await child) as Result;
  }

  private start(
    args: string[],
    dir: string,
    env: Record<string, string> = {},
    timeout?: number,
    stdin: 'pipe' | 'ignore' = 'pipe',
    nodeArgs: string[] = [],
  ): ResultPromise {
    // tap's processinfo puts its loader into NODE_OPTIONS of every child it sees spawned, which
    // doubles a peer's startup; the shell drops it again and execs node (same pid, same signals)
    const child = execa(
      '/bin/sh',
      ['-c', 'unset NODE_OPTIONS; exec "$0" "$@"', process.execPath, ...nodeArgs, BIN, ...args],
      {
        cwd: path.join(dir, 'cwd'),
        env: isolatedEnv(path.join(dir, 'home'), env),
        extendEnv: false,
        stdin,
        buffer: stdin === 'ignore',
        reject: false,
        cleanup: true,
        timeout,
        killSignal: 'SIGKILL',
      },
    );
    if (child.pid !== undefined) this.pids.push(child.pid);
    this.children.push(child);
    // spawn errors surface through the result, not as an unhandled rejection
    (child as unknown as Promise<unknown>).catch(() => {});
    return child;
  }

  /** Stop every child (SIGTERM, then SIGKILL after a grace period) and remove the temp dir. */
  async destroy(): Promise<void> {
    const live = this.children.filter((c) => c.exitCode === null && c.signalCode === null);
    for (const c of live) {
      c.stdin?.destroy();
      c.kill('SIGTERM');
      c.kill('SIGCONT'); // a stopped (SIGSTOP) child only acts on SIGTERM once continued
    }
    await Promise.all(
      live.map(
        (c) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => {
              c.kill('SIGKILL');
            }, KILL_GRACE_MS);
            (c as unknown as Promise<unknown>).then(
              () => {
                clearTimeout(timer);
                resolve();
              },
              () => {
                clearTimeout(timer);
                resolve();
              },
            );
          }),
      ),
    );
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** One peer in its own Cluster (killed in t.teardown); for tests that need a single peer. */
export async function spawnPeer(t: TeardownHost, opts: SpawnOptions = {}): Promise<PeerProcess> {
  return new Cluster(t).spawn(opts);
}

/** True while a process with this pid exists and is not a zombie (an unreaped, dead child). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // /proc/<pid>/stat: "pid (comm) state ..."; comm may hold spaces, so read after the last ")"
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc: kill(pid, 0) is all there is
  }
}

/** Poll `cond` until it is true; rejects after `timeoutMs`. For state with no event to wait on. */
export async function until(
  cond: () => boolean | Promise<boolean>,
  timeoutMs = DEFAULT_WAIT_MS,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 10; ; delay = Math.min(delay * 2, 200)) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, delay));
  }
}

/** Addresses of a peer's connected list (as `peer.connected()` returns them). */
export async function connectedAddresses(p: PeerProcess): Promise<string[]> {
  const list = (await p.eval('peer.connected().map((x) => x.address)')) as string[];
  return [...list].sort();
}
