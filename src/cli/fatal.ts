/**
 * The last resort for an unhandled promise rejection (a plugin's fire-and-forget promise, a bug):
 * a coded error naming the cause, the registered shutdowns (the running peer says EXIT to its
 * peers), then exit code 1, instead of Node's bare stack trace and a dropped connection.
 */
import { PeerchatError } from '../errors.js';

/** A shutdown that does not finish in this time is abandoned: the process must end. */
export const FATAL_SHUTDOWN_MS = 5000;

const shutdowns = new Set<() => Promise<unknown>>();
let installed = false;
let failing = false;

/** Run `fn` on a fatal error before the process exits; returns the unregister function. */
export function onFatalShutdown(fn: () => Promise<unknown>): () => void {
  shutdowns.add(fn);
  return () => shutdowns.delete(fn);
}

/** Install the process handler once (the CLI entry does); `report` prints the coded error. */
export function installFatalHandlers(report: (err: PeerchatError) => void): void {
  if (installed) return;
  installed = true;
  process.on('unhandledRejection', (reason) => {
    const err = new PeerchatError('ERR_UNHANDLED_REJECTION', `unhandled rejection: ${describe(reason)}`, {
      cause: reason,
    });
    try {
      report(err);
    } catch {
      // reporting must never stop the shutdown
    }
    if (failing) return;
    failing = true;
    process.exitCode = 1;
    setTimeout(() => process.exit(1), FATAL_SHUTDOWN_MS);
    void Promise.allSettled([...shutdowns].map((fn) => fn())).then(() => process.exit(1));
  });
}

function describe(reason: unknown): string {
  if (reason instanceof Error) {
    // the first stack frame says where the promise was left, often the plugin's file
    const at = reason.stack?.split('\n').find((l) => l.trim().startsWith('at '));
    return `${reason.message}${at ? ` (${at.trim()})` : ''}`;
  }
  if (reason && typeof reason === 'object' && 'message' in reason) return String(reason.message);
  return String(reason);
}
