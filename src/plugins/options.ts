/**
 * A plugin's options schema, checked at load like the core config: each problem names the key,
 * what was expected and what was found, and an unknown key suggests the known one meant.
 */
import { ZodType } from 'zod';
import { describeIssues, describeValue, expectedErrorMap, formatPath } from '../config/issues.js';
import { PeerchatError } from '../errors.js';
import type { OptionsIssue, OptionsSchema } from './types.js';

/** The parsed options (defaults applied); throws ERR_PLUGIN_LOAD caused by ERR_CONFIG_INVALID. */
export async function checkOptions<O>(
  schema: OptionsSchema<O>,
  options: unknown,
  name: string,
  spec: string,
): Promise<O> {
  let problems: string[];
  if (schema instanceof ZodType) {
    // peerchat's own zod: the same wording (and key suggestions) as the core config
    const res = schema.safeParse(options, { errorMap: expectedErrorMap });
    if (res.success) return res.data as O;
    problems = describeIssues(res.error.issues, options, schema, optionName);
  } else {
    const res = await schema['~standard'].validate(options);
    if (!res.issues) return res.value;
    problems = res.issues.map((i) => standardIssue(i, options));
  }
  const who = name === spec ? `"${name}"` : `"${name}" (${spec})`;
  const invalid = new PeerchatError('ERR_CONFIG_INVALID', `plugin ${who}: ${problems.join('; ')}`);
  return Promise.reject(
    new PeerchatError(
      'ERR_PLUGIN_LOAD',
      `cannot load plugin ${who}: invalid options: ${problems.join('; ')}`,
      {
        cause: invalid,
      },
    ),
  );
}

/** `option "blocked[0]"`, or `options` for the value as a whole. */
function optionName(path: readonly (string | number)[]): string {
  return path.length === 0 ? 'options' : `option "${formatPath(path)}"`;
}

function standardIssue(issue: OptionsIssue, input: unknown): string {
  const path = (issue.path ?? []).map((p) => {
    const key = typeof p === 'object' && p !== null && 'key' in p ? p.key : p;
    return typeof key === 'number' ? key : String(key);
  });
  let found: unknown = input;
  for (const p of path) found = (found as Record<string | number, unknown> | undefined)?.[p];
  return `${optionName(path)}: ${issue.message} (found ${describeValue(found)})`;
}
