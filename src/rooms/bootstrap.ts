/**
 * Which DHT nodes to bootstrap from. hyperdht does `opts.bootstrap || BOOTSTRAP_NODES`, so a
 * missing, null or false value silently means "the public network". Here the public network is
 * only ever an explicit choice, and everything else must be a non-empty list.
 */
import { isIP } from 'node:net';
import { PeerchatError } from '../errors.js';

export interface BootstrapNode {
  host: string;
  port: number;
}

const MAX_BOOTSTRAP_NODES = 64;
const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const HOW_TO_CHOOSE =
  'Set config "dht.bootstrap" to "public" (the Hyperswarm network\'s own bootstrap nodes; ' +
  'the DHT learns your IP address) or to a list of "host:port" nodes you run, e.g. ["10.0.0.5:49737"].';

function refuse(what: string, cause?: unknown): never {
  throw new PeerchatError('ERR_ROOM_BOOTSTRAP', `${what}. ${HOW_TO_CHOOSE}`, cause ? { cause } : undefined);
}

function parseNode(entry: unknown, index: number): BootstrapNode {
  let host: unknown;
  let port: unknown;
  if (typeof entry === 'string') {
    const at = entry.lastIndexOf(':');
    if (at <= 0) refuse(`dht.bootstrap[${index}] ${JSON.stringify(entry)} is not "host:port"`);
    host = entry.slice(0, at);
    port = /^\d{1,5}$/.test(entry.slice(at + 1)) ? Number(entry.slice(at + 1)) : Number.NaN;
  } else if (entry !== null && typeof entry === 'object') {
    ({ host, port } = entry as { host?: unknown; port?: unknown });
  } else {
    refuse(`dht.bootstrap[${index}] is ${JSON.stringify(entry)}, not "host:port"`);
  }
  // hyperdht speaks UDP over IPv4 only
  if (typeof host !== 'string' || !(isIP(host) === 4 || (isIP(host) === 0 && HOSTNAME.test(host)))) {
    refuse(`dht.bootstrap[${index}] has host ${JSON.stringify(host)}, not an IPv4 address or host name`);
  }
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    refuse(`dht.bootstrap[${index}] has port ${JSON.stringify(port)}, not 1-65535`);
  }
  return { host, port };
}

/**
 * Turns config `dht.bootstrap` into what the swarm may use. Returns 'public' only for the
 * explicit string "public"; throws ERR_ROOM_BOOTSTRAP for a missing, empty, null, false or
 * malformed value.
 */
export function resolveBootstrap(value: unknown): BootstrapNode[] | 'public' {
  if (value === 'public') return 'public';
  if (value === undefined || value === null || value === false || value === '') {
    refuse('No DHT bootstrap is configured, and peerchat never joins the public DHT unless asked');
  }
  if (typeof value === 'string') {
    // a single "host:port" is a common slip for a one-element list
    return [parseNode(value, 0)];
  }
  if (!Array.isArray(value)) refuse(`dht.bootstrap is ${JSON.stringify(value)}, not "public" or a list`);
  if (value.length === 0) {
    refuse('dht.bootstrap is an empty list, which hyperdht would treat as the public network');
  }
  if (value.length > MAX_BOOTSTRAP_NODES) refuse(`dht.bootstrap has more than ${MAX_BOOTSTRAP_NODES} nodes`);
  const nodes = value.map(parseNode);
  const seen = new Set<string>();
  return nodes.filter((n) => {
    const k = `${n.host}:${n.port}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
