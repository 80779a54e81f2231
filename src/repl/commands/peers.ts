/** Peers: the tables, connecting, discovery, the contact book and trust. */
import { type Colors, formatContacts, formatPeerTable, formatWhois, plural, sanitize } from '../format.js';
import { group, words } from './shared.js';

/** `connected to 2 peers, 1 failed (see the warnings); already connected to 3` */
export function connectAllSummary(
  n: { tried: number; connected: number; already: number },
  c: Colors,
): string {
  if (n.tried === 0 && n.already === 0) return c.dim('no peers known yet: .peers lists the discovered ones');
  const parts: string[] = [];
  if (n.tried > 0) {
    const failed = n.tried - n.connected;
    parts.push(`${c.green('connected')} to ${plural(n.connected, 'peer')}`);
    if (failed > 0) parts.push(c.red(`${failed} failed (see the warnings)`));
  }
  if (n.already > 0) parts.push(`already connected to ${plural(n.already, 'peer')}`);
  return parts.join(', ');
}

export const peerCommands = group(
  ['peers', 'connect', 'connected', 'query', 'connectall', 'contacts', 'whois', 'trust'],
  (g, io) => {
    const c = io.colors;
    return {
      peers: {
        help: 'Show active (discovered) peers',
        action() {
          const peers = g.active();
          io.print(peers.length ? formatPeerTable(peers, c) : c.dim('no peers discovered yet'));
          return peers;
        },
      },
      connect: {
        help: 'Connect to a peer: .connect <ip:port | contact name>',
        async action(args) {
          const [address = ''] = words(args, '.connect <ip:port | name>', 1);
          const info = await g.connect(address);
          io.print(
            `${c.green('connected')} to ${sanitize(info.name ?? '?')} ${info.address} (${info.protocol ?? '?'})`,
          );
          return info;
        },
      },
      connected: {
        help: 'Show connected peers',
        action() {
          const peers = g.connected();
          io.print(peers.length ? formatPeerTable(peers, c) : c.dim('no connected peers'));
          return peers;
        },
      },
      query: {
        help: 'Ask a peer for its peers: .query <target>',
        async action(args) {
          const [target = ''] = words(args, '.query <target>', 1);
          const keys = await g.query(target);
          io.print(
            keys.length ? `${plural(keys.length, 'peer')}: ${keys.join(', ')}` : c.dim('no peers learned'),
          );
          return keys;
        },
      },
      connectall: {
        help: 'Connect to all active peers',
        async action() {
          const known = g.active();
          const already = known.filter((p) => p.connected).length;
          const tried = known.length - already;
          const peers = await g.connectAll();
          io.print(connectAllSummary({ tried, connected: peers.length, already }, c));
          return peers;
        },
      },
      contacts: {
        help: 'Show the contact book: every peer met, with its last address and when it was seen',
        action() {
          const list = g.contacts();
          io.print(list.length ? formatContacts(list, c) : c.dim('no contacts yet (or no store)'));
          return list;
        },
      },
      whois: {
        help: 'Show what is known about a peer: .whois <name | ip:port | fingerprint prefix>',
        action(args) {
          const [target = ''] = words(args, '.whois <target>', 1);
          const list = g.contacts(target);
          io.print(
            list.length
              ? list.map((k) => formatWhois(k, c)).join('\n')
              : c.dim(`no contact matches "${sanitize(target)}"`),
          );
          return list;
        },
      },
      trust: {
        help: 'Accept a (changed) key for an address: .trust <ip:port> <hex key>',
        action(args) {
          const [address = '', key = ''] = words(args, '.trust <ip:port> <hex key>', 2);
          g.trust(address, key);
          io.print(`${c.green('trusted')} ${key.slice(0, 16)}… for ${address}`);
        },
      },
    };
  },
);
