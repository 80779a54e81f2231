/** The objects of NDJSON text (`--json` output), one per non-empty line. */
// biome-ignore lint/suspicious/noExplicitAny: test assertions read whatever the line holds
export function ndjson(text: string): any[] {
  return text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}
