/** Wait for an event with a deadline: tests never sleep for a fixed time. */
import type { EventEmitter } from 'node:events';

export function waitFor<T extends unknown[] = unknown[]>(
  emitter: EventEmitter,
  event: string,
  opts: { timeout?: number; filter?: (...args: T) => boolean } = {},
): Promise<T> {
  const timeout = opts.timeout ?? 5000;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, on);
      reject(new Error(`timed out after ${timeout} ms waiting for "${event}"`));
    }, timeout);
    const on = (...args: unknown[]) => {
      if (opts.filter && !opts.filter(...(args as T))) return;
      clearTimeout(timer);
      emitter.off(event, on);
      resolve(args as T);
    };
    emitter.on(event, on);
  });
}

/** Poll a condition until it holds or the deadline passes. */
export async function until(
  cond: () => boolean | Promise<boolean>,
  timeout = 5000,
  what = 'condition',
): Promise<void> {
  const end = Date.now() + timeout;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
