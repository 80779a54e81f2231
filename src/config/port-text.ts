/**
 * A port given as text (a flag, an environment variable). Anything numeric becomes a number, so the
 * schema judges it as one: "-1" and "1.5" are numbers out of range, not "not a number".
 */
export function portFromText(text: string): number | string {
  return /^\s*[+-]?\d+(\.\d+)?\s*$/.test(text) ? Number(text) : text;
}
