/** The plugin system's public surface. */

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
export { PEER_API_MEMBERS, PluginHost } from './host.js';
export { resolvePluginSpec } from './loader.js';
export type {
  HistoryQuery,
  HistoryReader,
  HookKind,
  HookKindOf,
  HookName,
  LogLevel,
  ObserveHookName,
  ObserveHooks,
  Plugin,
  PluginApi,
  PluginCommand,
  PluginFactory,
  PluginHelper,
  PluginHooks,
  PluginLogger,
  PluginModuleExport,
  PluginOptions,
  PluginOrder,
  SetupResult,
  TransformHookName,
  TransformHooks,
} from './types.js';
