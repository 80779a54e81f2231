/**
 * The plugin system's public surface, written once: the package entry (src/index.ts) re-exports all
 * of it, and plugins/index.ts adds what only peerchat itself uses.
 */

/** Escapes terminal controls in remote text before a plugin prints or logs it. */
export { sanitize } from '../sanitize.js';
export type { PluginDefinition } from './define.js';
export { definePlugin } from './define.js';
export { HOOK_KINDS, HOOK_NAMES } from './hooks.js';
export type {
  HostCommand,
  LoadOptions,
  PluginEntry,
  PluginHostEvents,
  PluginHostOptions,
  PluginSpecEntry,
  PluginValueEntry,
} from './host.js';
export { PluginHost } from './host.js';
export type * from './types.js';
