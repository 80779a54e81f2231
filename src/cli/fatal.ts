/**
 * The last resort for an unhandled promise rejection or an uncaught exception (a plugin's
 * fire-and-forget promise, a bug): a coded error naming the cause, the registered shutdowns (the
 * running peer says EXIT to its peers), then exit code 1, instead of Node's bare stack trace and a
 * dropped connection. What typed code at the interactive prompt left behind is the REPL's to print.
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

/** Claimants see an uncaught error first; one that returns true has dealt with it (see claimUncaught). */
const claimants = new Set<(err: unknown) => boolean>();

/**
 * `claim(err)` may take an uncaught exception or unhandled rejection before it is fatal: the
 * interactive REPL prints those its typed code left behind and goes on. Returns the unregister function.
 */
export function claimUncaught(claim: (err: unknown) => boolean): () => void {
  claimants.add(claim);
  return () => claimants.delete(claim);
}

function claimed(err: unknown): boolean {
  for (const claim of claimants) {
    try {
      if (claim(err)) return true;
    } catch {
      // a failing claimant claims nothing
    }
  }
  return false;
}

/** Install the process handlers once (the CLI entry does); `report` prints the coded error. */
export function installFatalHandlers(report: (err: PeerchatError) => void): void {
  if (installed) return;
  installed = true;
  const fatal = (err: PeerchatError) => {
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
  };
  process.on('unhandledRejection', (reason) => {
    if (claimed(reason)) return;
    fatal(
      new PeerchatError('ERR_UNHANDLED_REJECTION', `unhandled rejection: ${describe(reason)}`, {
        cause: reason,
      }),
    );
  });
  process.on('uncaughtException', (err) => {
    if (claimed(err)) return;
    fatal(
      new PeerchatError('ERR_UNCAUGHT_EXCEPTION', `uncaught exception: ${describe(err)}`, { cause: err }),
    );
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
