/**
 * Evaluates script input in a vm context where `peer` is defined, with top-level await.
 * Node's repl is not used for scripts: with piped input it can start a line before the
 * previous top-level await ends and exit before queued lines finish (nodejs/node#39387).
 */
import { Console } from 'node:console';
import type { Writable } from 'node:stream';
import vm from 'node:vm';

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

// the SyntaxError messages V8 gives for input that continues on a later line
const INCOMPLETE = /Unexpected end of input|Unterminated template literal/;
// `const x = await ...` / `let { a, b } = await ...` : one declaration, kept as a context global
const DECLARATION = /^(?:const|let|var)\s+([A-Za-z_$][\w$]*|\{[^=]*\}|\[[^=]*\])\s*=(?!=)([\s\S]+)$/;

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

/**
 * Whether `await` occurs outside every `{}` block (strings, templates and comments skipped).
 * A sloppy script would take such an `await` for an identifier: `await (f)()` calls `await`.
 */
export function hasTopLevelAwait(code: string): boolean {
  let depth = 0;
  for (let i = 0; i < code.length; i++) {
    const ch = code[i];
    const next = code[i + 1];
    if (ch === '/' && next === '/') {
      const end = code.indexOf('\n', i);
      i = end === -1 ? code.length : end;
    } else if (ch === '/' && next === '*') {
      const end = code.indexOf('*/', i + 2);
      i = end === -1 ? code.length : end + 1;
    } else if (ch === "'" || ch === '"' || ch === '`') {
      i++;
      while (i < code.length && code[i] !== ch) i += code[i] === '\\' ? 2 : 1;
    } else if (ch === '{') depth++;
    else if (ch === '}') depth = Math.max(0, depth - 1);
    else if (depth === 0 && ch === 'a' && code.startsWith('await', i)) {
      const before = code[i - 1] ?? ' ';
      const after = code[i + 5] ?? ' ';
      if (!/[\w$.]/.test(before) && !/[\w$]/.test(after)) return true;
    }
  }
  return false;
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

  /** Plain script (keeps `const`/`function` declarations) unless a top-level await needs a wrapper. */
  function toScript(code: string): vm.Script {
    if (!hasTopLevelAwait(code)) {
      try {
        return compile(code);
      } catch (err) {
        // e.g. `f({ a: await x })`: the await sits inside braces yet is top-level
        if (!isSyntaxError(err) || !/\bawait\b/.test(code)) throw err;
      }
    }
    const body = code.trim().replace(/;+$/, '');
    // an expression keeps its value
    try {
      return compile(`(async () => (${body}\n))()`);
    } catch {}
    // a single declaration becomes an assignment to context globals, so later inputs see it
    const decl = DECLARATION.exec(body);
    if (decl) {
      const [, target = '', init = ''] = decl;
      const assign = target.startsWith('{') ? `(${target} = (${init}\n))` : `${target} = (${init}\n)`;
      try {
        return compile(`(async () => { ${assign}; })()`);
      } catch {}
    }
    // statements: their declarations stay local to this input
    return compile(`(async () => {\n${code}\n})()`);
  }

  return {
    context,
    async evaluate(code) {
      if (code.trim() === '') return undefined;
      const value: unknown = toScript(code).runInContext(context, { displayErrors: false });
      return isThenable(value) ? await value : value;
    },
    isIncomplete(code) {
      // `await x` parses like `void x`; a wrapper would put its own closing brackets after the code
      const probe = code.replace(/\bfor\s+await\b/g, 'for').replace(/\bawait\b/g, 'void');
      try {
        compile(probe);
        return false;
      } catch (err) {
        return isSyntaxError(err) && INCOMPLETE.test(err.message);
      }
    },
  };
}
