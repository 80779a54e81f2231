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
/** The plugin system's public surface (definePlugin, PluginHost, hook names, sanitize, plugin types). */
export * from './plugins/public.js';
export type * from './types.js';
/** This peerchat's version, from its package.json. */
export { VERSION as version } from './version.js';
