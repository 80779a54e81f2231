/** Peer keys are "ip:port", the port being the peer's listening port. */
import { isIP, SocketAddress } from 'node:net';
import { PeerchatError } from '../errors.js';

export interface Address {
  host: string;
  port: number;
}

const PORT_RE = /^[0-9]{1,5}$/;

/** A listening port in 1..65535 given as decimal digits, or null. */
export function parsePort(text: string): number | null {
  if (!PORT_RE.test(text)) return null;
  const port = Number(text);
  return port >= 1 && port <= 65535 ? port : null;
}

/** One spelling per IP (IPv6 canonical, IPv4-mapped unmapped), so one peer has one key and self is self. */
export function normalizeHost(host: string): string {
  let h = host;
  if (isIP(h) === 6) {
    try {
      // one spelling per address: "0:0:0:0:0:0:0:1" is "::1", "::ffff:7f00:1" is "::ffff:127.0.0.1"
      h = new SocketAddress({ address: h, family: 'ipv6' }).address;
    } catch {
      // a spelling SocketAddress does not take (a zone id): as it is
    }
  }
  return h.startsWith('::ffff:') && isIP(h.slice(7)) === 4 ? h.slice(7) : h;
}

/** Parse "ip:port" (IPv6 as "[::1]:5000" or "::1:5000"); null when it is not one. */
export function parseAddress(text: string): Address | null {
  const i = text.lastIndexOf(':');
  if (i <= 0) return null;
  let host = text.slice(0, i);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (isIP(host) === 0) return null;
  const port = parsePort(text.slice(i + 1));
  return port === null ? null : { host: normalizeHost(host), port };
}

/** Like parseAddress, but throws ERR_INVALID_ADDRESS. */
export function toAddress(text: string): Address {
  const a = parseAddress(text.trim());
  if (!a)
    throw new PeerchatError('ERR_INVALID_ADDRESS', `not a valid "ip:port" address: ${JSON.stringify(text)}`);
  return a;
}

/** Four dot-separated numbers: meant as an IPv4 address, even when it is not one (999.1.1.1). */
const DOTTED = /^\d+(\.\d+){3}$/;

/**
 * Why a target written as an address is not a valid "ip:port": no port, a bad port, or an IPv4
 * address that is none. Null when it is a valid address, or no address at all (a name).
 */
export function addressProblem(text: string): string | null {
  const t = text.trim();
  if (parseAddress(t)) return null;
  const bare = t.replace(/^\[(.*)\]$/, '$1');
  if (isIP(bare) !== 0) {
    const example = isIP(bare) === 6 ? `[${bare}]:5000` : `${bare}:5000`;
    return `${JSON.stringify(t)} has no port: give "ip:port", e.g. ${example}`;
  }
  if (DOTTED.test(bare)) return `${JSON.stringify(t)} is not a valid IPv4 address`;
  const colon = t.lastIndexOf(':');
  if (colon <= 0) return null;
  const host = t.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  if (DOTTED.test(host) && isIP(host) === 0)
    return `${JSON.stringify(t)}: ${host} is not a valid IPv4 address`;
  // "bob:2" may be a peer's name: only an IP before the colon makes it an address
  if (isIP(host) === 0) return null;
  return `${JSON.stringify(t)}: the port must be a number from 1 to 65535`;
}

export function formatAddress(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}
