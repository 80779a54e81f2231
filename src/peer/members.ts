/**
 * The PeerApi members written once as data (api.ts stays types only: the package entry re-exports
 * its types): a Record over PeerApi's keys, so a member added to the contract cannot be missed by
 * the lists made from it (the plugins' reserved helper names, the live properties the REPL global
 * and a plugin's api show).
 */
import type { PeerApi } from './api.js';

/** Every PeerApi member, by kind. */
export const PEER_API = {
  name: 'property',
  host: 'property',
  port: 'property',
  address: 'property',
  id: 'property',
  fingerprint: 'property',
  send: 'method',
  broadcast: 'method',
  connect: 'method',
  ready: 'method',
  connectAll: 'method',
  query: 'method',
  activePeers: 'method',
  connectedPeers: 'method',
  takePending: 'method',
  setChatTarget: 'method',
  resolve: 'method',
  trust: 'method',
  contacts: 'method',
  history: 'method',
  outbox: 'method',
  retry: 'method',
  drop: 'method',
  join: 'method',
  leave: 'method',
  rooms: 'method',
  say: 'method',
  members: 'method',
  on: 'method',
  once: 'method',
  off: 'method',
  exit: 'method',
} as const satisfies Record<keyof PeerApi, 'property' | 'method'>;

/** Every member name of PeerApi. */
export const PEER_API_NAMES = Object.keys(PEER_API) as readonly (keyof PeerApi)[];

export type PeerProperty = {
  [K in keyof typeof PEER_API]: (typeof PEER_API)[K] extends 'property' ? K : never;
}[keyof typeof PEER_API];

/** The properties of PeerApi (name, host, port, address, id, fingerprint). */
export const PEER_PROPERTIES = PEER_API_NAMES.filter(
  (k) => PEER_API[k] === 'property',
) as readonly PeerProperty[];

/** `names` of the peer's properties as getters on `target`, read live (the port is known once listening). */
export function defineLive<T extends object, K extends PeerProperty>(
  target: T,
  peer: PeerApi,
  names: readonly K[],
): T & Pick<PeerApi, K> {
  for (const k of names)
    Object.defineProperty(target, k, { get: () => peer[k], enumerable: true, configurable: true });
  return target as T & Pick<PeerApi, K>;
}
