/// <reference path="../types/hyperswarm__secret-stream.d.ts" preserve="true" />
/**
 * The package entry (`import ... from 'peerchat'`): what plugin authors and embedders need, and
 * nothing internal. Re-exports only; test/index.test.ts pins the list of names.
 */

export { z } from 'zod';
export type { Code, Warning } from './errors.js';
export { codes, isPeerchatError, PeerchatError } from './errors.js';
export type * from './peer/api.js';
export type { Interceptors, Limits, PeerOptions, Timeouts } from './peer/options.js';
export { Peer } from './peer/peer.js';
export type { PluginDefinition } from './plugins/define.js';
export { definePlugin } from './plugins/define.js';
export { HOOK_KINDS, HOOK_NAMES } from './plugins/hooks.js';
export type {
  HostCommand,
  LoadOptions,
  PluginEntry,
  PluginHostEvents,
  PluginHostOptions,
  PluginSpecEntry,
  PluginValueEntry,
} from './plugins/host.js';
export { PluginHost } from './plugins/host.js';
export type {
  HistoryQuery,
  HistoryReader,
  HookKind,
  HookKindOf,
  HookName,
  LogLevel,
  ObserveHookName,
  ObserveHooks,
  OptionsIssue,
  OptionsResult,
  OptionsSchema,
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
} from './plugins/types.js';
export type * from './types.js';
/** This peerchat's version, from its package.json. */
export { VERSION as version } from './version.js';
