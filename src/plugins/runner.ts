/** The one runner every hook goes through: throws and rejections alike, with a timeout. */
import { PeerchatError } from '../errors.js';

export type HookOutcome<T> = { ok: true; value: T } | { ok: false; error: PeerchatError };

function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/**
 * Call `fn` and settle within `timeoutMs`. `label` names the plugin and the hook
 * (`plugin "bot" hook "onMessage"`); it starts every error text.
 * A hook still running at the deadline is no longer awaited; its late outcome is ignored.
 */
export async function runHook<T>(
  label: string,
  timeoutMs: number,
  fn: () => T | Promise<T>,
): Promise<HookOutcome<Awaited<T>>> {
  const failed = (err: unknown): HookOutcome<Awaited<T>> => ({
    ok: false,
    error: new PeerchatError('ERR_PLUGIN_HOOK', `${label} failed: ${messageOf(err)}`, { cause: err }),
  });
  let pending: T | Promise<T>;
  try {
    pending = fn();
  } catch (err) {
    return failed(err);
  }
  if (!isThenable(pending)) return { ok: true, value: pending as Awaited<T> };

  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<HookOutcome<Awaited<T>>>((resolve) => {
    timer = setTimeout(() => {
      resolve({
        ok: false,
        error: new PeerchatError(
          'ERR_PLUGIN_HOOK_TIMEOUT',
          `${label} did not settle within ${timeoutMs} ms and is no longer awaited`,
        ),
      });
    }, timeoutMs);
  });
  const settled = Promise.resolve(pending).then(
    (value): HookOutcome<Awaited<T>> => ({ ok: true, value: value as Awaited<T> }),
    failed,
  );
  try {
    return await Promise.race([settled, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
