/** The package entry: re-exports only. */

export type { Code, Warning } from './errors.js';
export { codes, isPeerchatError, PeerchatError } from './errors.js';
export type * from './peer/api.js';
export * from './plugins/index.js';
export type * from './types.js';
