/**
 * Turns zod issues into one-line texts that name the key path, what was expected and what was found,
 * and suggests a known key for a misspelt one.
 */

import { type ZodErrorMap, type ZodIssue, ZodIssueCode, type ZodTypeAny, z } from 'zod';
import { suggest } from './suggest.js';

const FOUND_MAX = 60; // longer values are cut in messages

/** Default texts phrased as "what was expected", so every issue reads "expected <message>". */
export const expectedErrorMap: ZodErrorMap = (issue, ctx) => {
  switch (issue.code) {
    case ZodIssueCode.invalid_type:
      return { message: issue.expected === 'integer' ? 'an integer' : article(issue.expected) };
    case ZodIssueCode.too_small:
    case ZodIssueCode.too_big: {
      const small = issue.code === ZodIssueCode.too_small;
      const bound = Number(small ? issue.minimum : issue.maximum);
      const op = small ? (issue.inclusive ? '>=' : '>') : issue.inclusive ? '<=' : '<';
      if (issue.type === 'string')
        return { message: `a string of ${small ? 'at least' : 'at most'} ${bound} characters` };
      if (issue.type === 'array')
        return { message: `a list of ${small ? 'at least' : 'at most'} ${bound} entries` };
      return { message: `a number ${op} ${bound}` };
    }
    case ZodIssueCode.invalid_enum_value:
      return { message: `one of ${issue.options.map((o) => JSON.stringify(o)).join(', ')}` };
    case ZodIssueCode.invalid_literal:
      return { message: JSON.stringify(issue.expected) };
    default:
      return { message: ctx.defaultError };
  }
};

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

/** `autoConnect[1].address` */
export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? p : `.${p}`;
  return out;
}

/** A short, readable rendering of a found value. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  if (text.length > FOUND_MAX) text = `${text.slice(0, FOUND_MAX - 3)}...`;
  if (Array.isArray(value)) return `a list ${text}`;
  if (value !== null && typeof value === 'object') return `an object ${text}`;
  return text;
}

function valueAt(input: unknown, path: readonly (string | number)[]): unknown {
  let v: unknown = input;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[p];
  }
  return v;
}

/** Peel wrappers off a schema node. */
function unwrap(s: ZodTypeAny): ZodTypeAny {
  for (;;) {
    if (s instanceof z.ZodDefault) s = s._def.innerType;
    else if (s instanceof z.ZodOptional || s instanceof z.ZodNullable) s = s.unwrap();
    else if (s instanceof z.ZodEffects) s = s.innerType();
    else return s;
  }
}

/** The schema node at a key path, or null when the path leaves the schema. */
export function schemaAt(schema: ZodTypeAny, path: readonly (string | number)[]): ZodTypeAny | null {
  let s: ZodTypeAny = schema;
  for (const p of path) {
    const u = unwrap(s);
    if (u instanceof z.ZodObject && typeof p === 'string') {
      const next = (u.shape as Record<string, ZodTypeAny>)[p];
      if (!next) return null;
      s = next;
    } else if (u instanceof z.ZodArray && typeof p === 'number') s = u.element;
    else if (u instanceof z.ZodTuple && typeof p === 'number') {
      const next = u.items[p] as ZodTypeAny | undefined;
      if (!next) return null;
      s = next;
    } else if (u instanceof z.ZodUnion) {
      // the first option that has the rest of the path
      for (const o of u.options as ZodTypeAny[]) {
        const hit = schemaAt(o, [p]);
        if (hit) {
          s = hit;
          break;
        }
      }
      if (s === u || unwrap(s) === u) return null;
    } else return null;
  }
  return s;
}

/** Known keys of the object at `path`. */
export function keysAt(schema: ZodTypeAny, path: readonly (string | number)[]): string[] {
  const node = schemaAt(schema, path);
  if (!node) return [];
  const u = unwrap(node);
  if (u instanceof z.ZodObject) return Object.keys(u.shape);
  if (u instanceof z.ZodUnion) {
    for (const o of u.options as ZodTypeAny[]) {
      const ou = unwrap(o);
      if (ou instanceof z.ZodObject) return Object.keys(ou.shape);
    }
  }
  return [];
}

function isTypeMiss(issue: ZodIssue, depth: number): boolean {
  return (
    issue.path.length === depth &&
    (issue.code === ZodIssueCode.invalid_type || issue.code === ZodIssueCode.invalid_literal)
  );
}

export type PathNamer = (path: readonly (string | number)[]) => string;

/** One line per issue: `<path>: expected <...>, found <...>` (or the unknown-key text). */
export function describeIssues(
  issues: readonly ZodIssue[],
  input: unknown,
  schema: ZodTypeAny,
  name: PathNamer = formatPath,
): string[] {
  const lines: string[] = [];
  for (const issue of issues) {
    if (issue.code === ZodIssueCode.unrecognized_keys) {
      const known = keysAt(schema, issue.path);
      for (const k of issue.keys) {
        const hint = suggest(k, known);
        const where = name([...issue.path, k]);
        lines.push(
          `${where}: unknown key${hint ? ` (did you mean "${hint}"?)` : known.length ? ` (known keys: ${known.join(', ')})` : ''}`,
        );
      }
      continue;
    }
    if (issue.code === ZodIssueCode.invalid_union) {
      const depth = issue.path.length;
      // a branch whose type matched explains the problem best; otherwise list what would fit
      const matched = issue.unionErrors.filter((e) => !e.issues.some((i) => isTypeMiss(i, depth)));
      if (matched.length >= 1) {
        lines.push(...describeIssues(matched[0]!.issues, input, schema, name));
        continue;
      }
      const node = schemaAt(schema, issue.path);
      const expected =
        node?.description ??
        (node ? unwrap(node).description : undefined) ??
        [
          ...new Set(
            issue.unionErrors.flatMap((e) =>
              e.issues.filter((i) => isTypeMiss(i, depth)).map((i) => i.message),
            ),
          ),
        ].join(' or ');
      lines.push(
        `${name(issue.path)}: expected ${expected}, found ${describeValue(valueAt(input, issue.path))}`,
      );
      continue;
    }
    lines.push(
      `${name(issue.path)}: expected ${issue.message}, found ${describeValue(valueAt(input, issue.path))}`,
    );
  }
  return [...new Set(lines)];
}
