import type { HookName, Plugin, PluginApi, SetupResult } from './types.js';

// biome-ignore lint/suspicious/noConfusingVoidType: setup may return nothing at all
type HooksOf<R> = Exclude<Awaited<R>, undefined | void>;
type UnknownHooks<R> = [HooksOf<R>] extends [never] ? never : Exclude<keyof HooksOf<R>, HookName>;
/** Turns an unknown hook name in setup's result into a type error that names it. */
type CheckHooks<R> = [UnknownHooks<R>] extends [never]
  ? unknown
  : { setup: `unknown hook name: ${UnknownHooks<R> & string}` };

/** The definition passed to `definePlugin`; `R` is what `setup` returns, checked against the hook list. */
export interface PluginDefinition<O, R> extends Omit<Plugin<O>, 'setup'> {
  setup(api: PluginApi<O>, options: O): R;
}

/**
 * Declare a plugin. Returns it unchanged; its value is the typing: `api`, `options` and every hook
 * are typed, and an unknown hook name in setup's result is a type error.
 *
 * ```ts
 * export default definePlugin({
 *   name: 'shout',
 *   setup: () => ({ transformOutgoing: (msg) => ({ ...msg, text: msg.text.toUpperCase() }) }),
 * });
 * ```
 */
export function definePlugin<O = unknown, R extends SetupResult | Promise<SetupResult> = SetupResult>(
  plugin: PluginDefinition<O, R> & CheckHooks<R>,
): Plugin<O> {
  return plugin as Plugin<O>;
}
