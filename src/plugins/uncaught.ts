/**
 * Errors a plugin leaves outside its hooks, which no hook's try/catch can see: a throw in its own
 * timer or event handler (its module is on the stack) or an api call it did not await and that
 * rejected (api.ts marks those). They are the plugin's failures, not the peer's: warned and
 * counted toward disabling it, instead of ending the process.
 */
import { PeerchatError } from '../errors.js';
import { rejectedFor } from './api.js';

export interface Traceable {
  name: string;
  /** The plugin module's file URL (null for a plugin object passed in code). */
  url: string | null;
}

/** The plugin an uncaught error belongs to, if any. */
export function culprit<P extends Traceable>(err: unknown, plugins: readonly P[]): P | null {
  if (err === null || typeof err !== 'object') return null;
  const marked = rejectedFor.get(err);
  if (marked !== undefined) return plugins.find((p) => p.name === marked) ?? null;
  const stack = (err as { stack?: unknown }).stack;
  if (typeof stack !== 'string') return null;
  // the innermost frame that is a plugin's: a helper of peerchat's own may be above it
  for (const line of stack.split('\n')) {
    const p = plugins.find((x) => x.url !== null && line.includes(x.url));
    if (p) return p;
  }
  return null;
}

export function uncaughtError(plugin: string, err: unknown): PeerchatError {
  const message = err instanceof Error ? err.message : String(err);
  return new PeerchatError(
    'ERR_PLUGIN_UNCAUGHT',
    `plugin "${plugin}" left an error outside its hooks (a timer, an unawaited call): ${message}`,
    { cause: err },
  );
}
