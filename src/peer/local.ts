/** Which addresses are this peer's own: dialling them would be dialling ourselves. */
import { networkInterfaces } from 'node:os';

/** Every address of this host (loopback, wildcards, each interface), read once. */
export function localAddresses(): Set<string> {
  const out = new Set(['127.0.0.1', '0.0.0.0', '::1', '::', 'localhost']);
  for (const list of Object.values(networkInterfaces())) for (const i of list ?? []) out.add(i.address);
  return out;
}

/** A check of `host:port` against our listening port under any of this host's addresses. */
export function selfCheck(
  local: () => { host: string; port: number },
): (host: string, port: number) => boolean {
  const hosts = localAddresses();
  return (host, port) => {
    const me = local();
    return port === me.port && (hosts.has(host) || host === me.host);
  };
}
