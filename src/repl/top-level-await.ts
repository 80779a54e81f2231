/**
 * Rewrites an input with a top-level `await` into a script that runs it in an async wrapper,
 * the way Node's own REPL does (lib/internal/repl/await.js): declarations are hoisted out of
 * the wrapper so later inputs see them, and the last expression statement is returned.
 * Parsing is acorn's; the edits are made on the source text so positions stay exact.
 */
import { type Node, Parser } from 'acorn';
import { base, type RecursiveVisitors, recursive } from 'acorn-walk';

const PREFIX = '(async () => { ';
const SUFFIX = '\n})()';

/** Minimal shapes of the ESTree nodes edited here (acorn's own types are loose). */
type Id = Node & { name: string };
type Pattern = Node & {
  type: string;
  name?: string;
  properties?: (Node & { value?: Pattern; argument?: Pattern })[];
  elements?: (Pattern | null)[];
  argument?: Pattern;
  left?: Pattern;
};
type Declarator = Node & { id: Pattern; init: Node | null };
type Declaration = Node & { kind: 'var' | 'let' | 'const'; declarations: Declarator[] };

interface State {
  body: Node;
  ancestors: Node[];
  hoisted: { var: string[]; let: string[] };
  edits: string[];
  containsAwait: boolean;
  containsReturn: boolean;
}

export interface AwaitParseError {
  message: string;
  /** Offset in the input. */
  pos: number;
}

/** Names bound by a declaration pattern: `{ a, b: [c, ...d] = x }` -> a, c, d. */
function boundNames(p: Pattern | null | undefined, out: string[]): void {
  if (!p) return;
  switch (p.type) {
    case 'Identifier':
      out.push(p.name ?? '');
      break;
    case 'ObjectPattern':
      for (const prop of p.properties ?? [])
        boundNames(prop.type === 'RestElement' ? prop.argument : prop.value, out);
      break;
    case 'ArrayPattern':
      for (const el of p.elements ?? []) boundNames(el, out);
      break;
    case 'RestElement':
      boundNames(p.argument, out);
      break;
    case 'AssignmentPattern':
      boundNames(p.left, out);
      break;
  }
}

const isTopLevel = (s: State) => s.ancestors[s.ancestors.length - 2] === s.body;
const prepend = (s: State, at: number, text: string) => {
  s.edits[at] = text + (s.edits[at] ?? '');
};
const append = (s: State, end: number, text: string) => {
  s.edits[end - 1] = (s.edits[end - 1] ?? '') + text;
};
const replace = (s: State, from: number, to: number, text: string) => {
  for (let i = from; i < to; i++) s.edits[i] = '';
  s.edits[from] = text;
};

const noop = () => {};

const ownVisitors: RecursiveVisitors<State> = {
  // code inside functions runs later and in its own scope: its awaits and declarations are not ours
  FunctionExpression: noop,
  ArrowFunctionExpression: noop,
  MethodDefinition: noop,
  PropertyDefinition: noop,
  StaticBlock: noop,
  FunctionDeclaration(node, s) {
    const name = (node as Node & { id: Id }).id.name;
    // the wrapper's function is hoisted within it; copy it to the global object where it is declared
    if (isTopLevel(s)) {
      prepend(s, node.start, `this.${name} = ${name}; `);
      s.hoisted.var.push(name);
    }
  },
  ClassDeclaration(node, s, c) {
    if (isTopLevel(s)) {
      const name = (node as Node & { id: Id }).id.name;
      prepend(s, node.start, `${name} = `);
      append(s, node.end, ';');
      s.hoisted.let.push(name);
    }
    base.ClassDeclaration?.(node, s, c);
  },
  AwaitExpression(node, s, c) {
    s.containsAwait = true;
    base.AwaitExpression?.(node, s, c);
  },
  ForOfStatement(node, s, c) {
    if ((node as Node & { await?: boolean }).await) s.containsAwait = true;
    base.ForOfStatement?.(node, s, c);
  },
  ReturnStatement(node, s, c) {
    s.containsReturn = true;
    base.ReturnStatement?.(node, s, c);
  },
  VariableDeclaration(node, s, c) {
    const decl = node as Declaration;
    const parent = s.ancestors[s.ancestors.length - 2];
    const loopHead =
      (parent?.type === 'ForOfStatement' || parent?.type === 'ForInStatement') &&
      (parent as Node & { left: Node }).left === node;
    if (decl.kind === 'var' || isTopLevel(s)) {
      const names: string[] = [];
      for (const d of decl.declarations) boundNames(d.id, names);
      s.hoisted[decl.kind === 'var' ? 'var' : 'let'].push(...names);
      if (loopHead) {
        // `for (var x of xs)` -> `for (x of xs)`
        replace(s, decl.start, decl.start + decl.kind.length + 1, '');
      } else {
        // `const a = 1, { b } = o` -> `void ((a = 1), ({ b } = o))`
        replace(s, decl.start, decl.start + decl.kind.length, 'void (');
        for (const d of decl.declarations) {
          prepend(s, d.start, '(');
          append(s, d.end, d.init ? ')' : ' = undefined)');
        }
        const last = decl.declarations[decl.declarations.length - 1];
        if (last) append(s, last.end, ')');
      }
    }
    base.VariableDeclaration?.(node, s, c);
  },
};

// every node type goes through a wrapper that keeps the ancestor chain
type Visit = (node: Node, s: State, c: (node: Node, s: State, type?: string) => void) => void;
const visitors: Record<string, Visit> = {};
for (const type of Object.keys(base)) {
  const own = ((ownVisitors as Record<string, Visit>)[type] ??
    (base as Record<string, Visit>)[type]) as Visit;
  visitors[type] = (node, s, c) => {
    const fresh = node !== s.ancestors[s.ancestors.length - 1];
    if (fresh) s.ancestors.push(node);
    own(node, s, c);
    if (fresh) s.ancestors.pop();
  };
}

/**
 * The script to run for `code`, or null when `code` has no top-level await (run it as it is).
 * Throws an AwaitParseError when the wrapped input does not parse.
 */
export function rewriteTopLevelAwait(code: string): string | null {
  const wrapped = `${PREFIX}${code}${SUFFIX}`;
  let root: Node & { body: (Node & { expression: { callee: { body: Node } } })[] };
  try {
    root = Parser.parse(wrapped, { ecmaVersion: 'latest' }) as typeof root;
  } catch (err) {
    const e = err as { message?: string; pos?: number };
    const message = String(e.message ?? err).replace(/ \(\d+:\d+\)$/, '');
    throw { message, pos: Math.max(0, (e.pos ?? PREFIX.length) - PREFIX.length) } satisfies AwaitParseError;
  }
  const body = root.body[0]?.expression.callee.body as Node & { body: (Node & { expression?: Node })[] };
  const state: State = {
    body,
    ancestors: [],
    hoisted: { var: [], let: [] },
    edits: [...wrapped],
    containsAwait: false,
    containsReturn: false,
  };
  recursive(body, state, visitors as RecursiveVisitors<State>);
  if (!state.containsAwait || state.containsReturn) return null;

  // the value of the last expression statement is the input's value
  for (let i = body.body.length - 1; i >= 0; i--) {
    const stmt = body.body[i];
    if (!stmt || stmt.type === 'EmptyStatement') continue;
    if (stmt.type === 'ExpressionStatement' && stmt.expression) {
      prepend(state, stmt.start, 'return (');
      append(state, stmt.expression.end, ')');
    }
    break;
  }
  const unique = (names: string[]) => [...new Set(names)];
  const lets = unique(state.hoisted.let);
  const vars = unique(state.hoisted.var).filter((n) => !lets.includes(n));
  const hoist = [
    vars.length ? `var ${vars.join(', ')}; ` : '',
    lets.length ? `let ${lets.join(', ')}; ` : '',
  ];
  return hoist.join('') + state.edits.join('');
}

/** Whether `code` stops where more input could finish it (an open bracket, template or statement). */
export function endsEarly(code: string): boolean {
  try {
    Parser.parse(code, { ecmaVersion: 'latest', allowAwaitOutsideFunction: true });
    return false;
  } catch (err) {
    const e = err as { message?: string; pos?: number };
    if (/^Unterminated (template|comment)/.test(e.message ?? '')) return true;
    return (
      typeof e.pos === 'number' &&
      e.pos >= code.trimEnd().length &&
      !/^Unterminated string/.test(e.message ?? '')
    );
  }
}
