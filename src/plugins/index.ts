/** The plugin system: its public surface (public.ts) and what only peerchat itself uses. */

export { PEER_API_MEMBERS } from './host.js';
export { resolvePluginSpec } from './loader.js';
export * from './public.js';
