/**
 * Evaluates script input in a vm context where `peer` is defined, with top-level await.
 * Node's repl is not used for scripts: with piped input it can start a line before the
 * previous top-level await ends and exit before queued lines finish (nodejs/node#39387).
 */
import { Console } from 'node:console';
import type { Writable } from 'node:stream';
import vm from 'node:vm';
import { type AwaitParseError, endsEarly, rewriteTopLevelAwait } from './top-level-await.js';

/** Node globals a script may use besides `peer` (the context is otherwise empty). */
const NODE_GLOBALS = [
  'process',
  'Buffer',
  'URL',
  'URLSearchParams',
  'TextEncoder',
  'TextDecoder',
  'AbortController',
  'AbortSignal',
  'EventTarget',
  'Event',
  'setTimeout',
  'clearTimeout',
  'setInterval',
  'clearInterval',
  'setImmediate',
  'clearImmediate',
  'queueMicrotask',
  'structuredClone',
  'performance',
  'fetch',
  'crypto',
  'atob',
  'btoa',
] as const;

// starts with `{` and ends with `}`: Node's REPL reads this as an object literal
const OBJECT_LITERAL = /^\s*\{[\s\S]*\}\s*$/;

export interface EvaluatorOptions {
  /** Members of the context's global object, e.g. `{ peer }`. */
  globals: Record<string, unknown>;
  /** Where `console.log` writes (stderr in --json mode). */
  stdout: Writable;
  stderr: Writable;
  /** Shown in stack traces. @default 'peerchat' */
  filename?: string;
}

export interface Evaluator {
  readonly context: vm.Context;
  /** Run one input; resolves to its value, awaiting a returned promise. */
  evaluate(code: string): Promise<unknown>;
  /** True when `code` is cut short (an open bracket or template) and the next line may finish it. */
  isIncomplete(code: string): boolean;
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (
    v !== null &&
    (typeof v === 'object' || typeof v === 'function') &&
    typeof (v as { then?: unknown }).then === 'function'
  );
}

function isSyntaxError(err: unknown): err is SyntaxError {
  return err !== null && typeof err === 'object' && (err as Error).name === 'SyntaxError';
}

export function createEvaluator(opts: EvaluatorOptions): Evaluator {
  const sandbox: Record<string, unknown> = {};
  for (const name of NODE_GLOBALS) {
    if (name in globalThis) sandbox[name] = (globalThis as Record<string, unknown>)[name];
  }
  sandbox.console = new Console({ stdout: opts.stdout, stderr: opts.stderr });
  const context = vm.createContext(sandbox);
  for (const [key, value] of Object.entries(opts.globals)) {
    Object.defineProperty(context, key, { value, enumerable: true, configurable: true, writable: false });
  }
  const filename = opts.filename ?? 'peerchat';
  const compile = (source: string) => new vm.Script(source, { filename });

  /** A plain script keeps its declarations and completion value; top-level await needs a rewrite. */
  function toScript(code: string): vm.Script {
    // `{ a: 1 }` is an object, as in Node's REPL, not a block with a label
    if (OBJECT_LITERAL.test(code)) {
      try {
        return scriptFor(`(${code.trim()}\n)`);
      } catch {}
    }
    return scriptFor(code);
  }

  function scriptFor(code: string): vm.Script {
    let rewritten: string | null = null;
    let parseError: AwaitParseError | null = null;
    try {
      rewritten = rewriteTopLevelAwait(code);
    } catch (err) {
      parseError = err as AwaitParseError;
    }
    if (rewritten !== null) return compile(rewritten);
    try {
      return compile(code);
    } catch (err) {
      // V8 would say "await is only valid in async functions": the parser's reason is the useful one
      if (parseError && isSyntaxError(err) && /\bawait\b/.test(code)) {
        throw new SyntaxError(parseError.message, { cause: err });
      }
      throw err;
    }
  }

  return {
    context,
    async evaluate(code) {
      if (code.trim() === '') return undefined;
      const value: unknown = toScript(code).runInContext(context, { displayErrors: false });
      return isThenable(value) ? await value : value;
    },
    isIncomplete(code) {
      return endsEarly(code);
    },
  };
}
