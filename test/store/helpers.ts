import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { newId } from '../../src/store/ids.js';
import type { ChatMessage } from '../../src/types.js';

export const KEY_A = 'a'.repeat(64);
export const KEY_B = 'b'.repeat(64);

export function msg(over: Partial<ChatMessage> = {}): ChatMessage {
  return {
    id: newId(),
    from: '127.0.0.1:4000',
    name: 'alice',
    text: 'hello',
    protocol: 'native',
    verified: true,
    key: KEY_A,
    fingerprint: 'aaaa:aaaa',
    ts: Date.now(),
    direction: 'in',
    ...over,
  };
}

export function out(over: Partial<ChatMessage> = {}): ChatMessage {
  return msg({ direction: 'out', name: 'me', ...over });
}

const CHILD = fileURLToPath(new URL('./fixtures/child.ts', import.meta.url));
// tap runs .ts through its loader; the child needs the same one
const LOADER = process.execArgv.filter((a) => a.includes('@tapjs/typescript'));

export interface Child {
  proc: ChildProcess;
  lines: string[];
  /** Resolves with the first line matching, or rejects after `ms`. */
  waitLine(pred: (line: string) => boolean, ms?: number): Promise<string>;
  exited: Promise<void>;
}

/** `env` is added to the child's environment; with it, the child's stderr lines join `lines` too. */
export function spawnChild(mode: 'hold' | 'crash', dataDir: string, env?: Record<string, string>): Child {
  const proc = spawn(process.execPath, [...LOADER, CHILD, mode, dataDir], {
    stdio: ['ignore', 'pipe', env ? 'pipe' : 'inherit'],
    env: { ...process.env, ...env },
  });
  const lines: string[] = [];
  const listeners = new Set<() => void>();
  const collect = (stream: NodeJS.ReadableStream) => {
    let buf = '';
    stream.setEncoding('utf8');
    stream.on('data', (d: string) => {
      buf += d;
      const parts = buf.split('\n');
      buf = parts.pop()!;
      lines.push(...parts);
      for (const l of listeners) l();
    });
  };
  collect(proc.stdout!);
  if (env) collect(proc.stderr!);
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  return {
    proc,
    lines,
    exited,
    waitLine(pred, ms = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = lines.find(pred);
          if (hit !== undefined) {
            done();
            resolve(hit);
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(
            new Error(`no matching line from the child within ${ms} ms; got: ${lines.slice(-5).join(' | ')}`),
          );
        }, ms);
        const onExit = () => {
          check();
          done();
          reject(new Error(`child exited; got: ${lines.slice(-5).join(' | ')}`));
        };
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
          proc.off('exit', onExit);
        };
        listeners.add(check);
        proc.once('exit', onExit);
        check();
      });
    },
  };
}

/** The error `fn` throws (fails loudly when it does not throw). */
export function thrown(fn: () => unknown): Error & { code?: string } {
  try {
    fn();
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected a throw');
}
