/** Checks of what a plugin module hands over: the plugin object, its hooks, a transform's result. */
import { PeerchatError } from '../errors.js';
import type { ChatMessage } from '../types.js';
import { HOOK_KINDS, isHookName, suggestHook } from './hooks.js';
import type { Plugin, PluginHooks, PluginOrder } from './types.js';

export const ORDER_RANK: Record<PluginOrder, number> = { pre: 0, normal: 1, post: 2 };

export function loadError(name: string, spec: string, message: string, cause?: unknown): PeerchatError {
  const who = name === spec ? `"${name}"` : `"${name}" (${spec})`;
  const detail = cause === undefined ? '' : `: ${cause instanceof Error ? cause.message : String(cause)}`;
  return new PeerchatError('ERR_PLUGIN_LOAD', `cannot load plugin ${who}: ${message}${detail}`, { cause });
}

/** The plugin, or why it is not one. */
export function validatePlugin(value: unknown): Plugin | string {
  if (typeof value !== 'object' || value === null) {
    return `the default export is ${describe(value)}; expected definePlugin({ name, setup }) or a function returning it`;
  }
  const p = value as Partial<Plugin>;
  if (typeof p.name !== 'string' || p.name.trim() === '') return 'the plugin has no name';
  if (typeof p.setup !== 'function') return `plugin "${p.name}" has no setup function`;
  if (p.options !== undefined && typeof p.options?.['~standard']?.validate !== 'function') {
    return `plugin "${p.name}" has an options schema that is not a zod schema (nor a Standard Schema)`;
  }
  if (p.order !== undefined && !(p.order in ORDER_RANK)) {
    return `plugin "${p.name}" has order ${JSON.stringify(p.order)}; expected "pre", "normal" or "post"`;
  }
  return p as Plugin;
}

/** What setup returned, as hooks: ERR_PLUGIN_UNKNOWN_HOOK (with a suggestion) or ERR_PLUGIN_LOAD. */
export function checkHooks(name: string, spec: string, result: unknown): PluginHooks {
  if (result === undefined || result === null) return {};
  if (typeof result !== 'object') {
    throw loadError(
      name,
      spec,
      `setup returned ${describe(result)}; it must return an object of hooks or nothing`,
    );
  }
  for (const [key, value] of Object.entries(result)) {
    if (!isHookName(key)) {
      const near = suggestHook(key);
      throw new PeerchatError(
        'ERR_PLUGIN_UNKNOWN_HOOK',
        `plugin "${name}" (${spec}) registered an unknown hook "${key}"` +
          (near ? `; did you mean "${near}"?` : `; known hooks: ${Object.keys(HOOK_KINDS).join(', ')}`),
      );
    }
    if (value !== undefined && typeof value !== 'function') {
      throw loadError(name, spec, `hook "${key}" is ${describe(value)}, not a function`);
    }
  }
  return result as PluginHooks;
}

/** A name for a plugin value before it is validated. */
export function nameOf(value: unknown): string {
  if (typeof value === 'object' && value !== null && typeof (value as Plugin).name === 'string') {
    return (value as Plugin).name;
  }
  if (typeof value === 'function' && value.name) return value.name;
  return '<inline plugin>';
}

export function isMessageLike(value: unknown): value is Pick<ChatMessage, 'text' | 'name'> {
  return typeof value === 'object' && value !== null && typeof (value as ChatMessage).text === 'string';
}

/**
 * What is wrong with a transform's result, or null (a message, or null to drop). An outgoing text
 * may not be empty: `send()` refuses one, so a transform may not make one.
 */
export function transformProblem(hook: string, value: unknown): string | null {
  if (value === null) return null;
  if (!isMessageLike(value)) return describe(value);
  if (hook === 'transformOutgoing' && value.text === '') return 'a message with an empty text';
  return null;
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object'
    ? 'an object'
    : `${typeof value} ${JSON.stringify(value) ?? String(value)}`;
}
