/**
 * Lets a plugin loaded by path (`./welcome.js` next to a config, outside any node_modules with
 * peerchat in it) `import { definePlugin } from 'peerchat'`: the bare specifiers `peerchat` and
 * `peerchat/<subpath>` resolve to the running peerchat, through its own package "exports".
 * Always the running one, so a plugin and its host share one PeerchatError class and one zod.
 */
import module from 'node:module';

const SELF = 'peerchat';
let installed = false;

function isSelf(specifier: string): boolean {
  return specifier === SELF || specifier.startsWith(`${SELF}/`);
}

/** Installs the resolve hook once per process (module.registerHooks: Node >= 22.15, in-thread, synchronous). */
export function installPeerchatResolver(): void {
  if (installed) return;
  installed = true;
  // engines.node guarantees it; without it, plugins resolve 'peerchat' like any other package
  if (typeof module.registerHooks !== 'function') return;
  module.registerHooks({
    resolve(specifier, context, nextResolve) {
      // resolved as a self-reference from inside this package, so its "exports" decide the file
      if (isSelf(specifier)) return nextResolve(specifier, { ...context, parentURL: import.meta.url });
      return nextResolve(specifier, context);
    },
  });
}
