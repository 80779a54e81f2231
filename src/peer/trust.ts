/**
 * Which keys a peer accepts: the expected key of a dial, the allow list, and known_hosts pinning
 * (trust on first use, a changed key refused until accepted with `trust`).
 * The place for the trust rules: what is checked against what.
 */
import { PeerchatError, type Warning } from '../errors.js';
import { formatAddress, toAddress } from '../net/address.js';
import { fingerprint } from '../net/native/identity.js';
import { KnownHosts } from '../net/native/known-hosts.js';

export class Trust {
  readonly knownHosts: KnownHosts;
  private readonly allow: Set<string> | null;
  /** Our own key: a session presenting it is this peer, reached by another spelling of its address. */
  private readonly self: string | null;

  constructor(opts: {
    dataDir: string | null;
    allow: string[] | null;
    warn?: (w: Warning) => void;
    self?: string | null;
  }) {
    // a damaged line or a failed write is a warning while the peer runs, not silence
    this.knownHosts = KnownHosts.open(opts.dataDir, opts.warn);
    this.allow = opts.allow ? new Set(opts.allow.map((k) => k.toLowerCase())) : null;
    this.self = opts.self ?? null;
  }

  /** Checked during the handshake: not our own key, the key a dial expected, then the allow list. */
  verifyKey(remote: string, expected: string | null): PeerchatError | null {
    if (remote === this.self) {
      return new PeerchatError('ERR_INVALID_ADDRESS', 'that address is this peer (it presented our own key)');
    }
    if (expected && remote !== expected.toLowerCase()) {
      return new PeerchatError(
        'ERR_KEY_MISMATCH',
        `peer presented key ${fingerprint(remote)}, but ${fingerprint(expected.toLowerCase())} was expected (configured key)`,
      );
    }
    if (this.allow && !this.allow.has(remote)) {
      return new PeerchatError('ERR_NOT_ALLOWED', `peer key ${fingerprint(remote)} is not in the allow list`);
    }
    return null;
  }

  /**
   * Whether a ready session may be attached: an outbound one that states another port than it was
   * dialled at is checked against the dialled address (a stranger on a pinned address cannot claim
   * another, unpinned one; a port forward still works); then its key is
   * checked against the pin of its address. Only an address we dialled is pinned on first use and
   * enforced: an inbound session's port is a claim, so a pin made from it, or enforced on it, would
   * raise false alarms once another peer listens on that port (docs/security.md "Pins and contacts"). `expected`: the key the dial meant (a contact's or a
   * configured one): presented at a pinned address, the pin moves to it.
   */
  admit(
    o: {
      host: string;
      port: number;
      key: string | null;
      dialled?: { host: string; port: number };
    },
    expected: string | null = null,
  ): PeerchatError | null {
    const address = formatAddress(o.host, o.port);
    if (o.dialled && o.dialled.port !== o.port) {
      // a port forward or a relay (a NAT) reaches a peer at another port than it listens on: the
      // address we dialled is what its key is checked against and pinned to; a pin of that address
      // to another key means someone else is there, claiming to be elsewhere
      const at = formatAddress(o.dialled.host, o.dialled.port);
      const pinned = this.knownHosts.get(at);
      if (pinned && pinned !== o.key) {
        return new PeerchatError(
          'ERR_ADDRESS_MISMATCH',
          `${at} says it listens on port ${o.port} with another key than the one pinned there: refused ` +
            '(someone else may be listening on that address)',
        );
      }
      return o.key ? this.pin(at, o.key, { create: true, expected }) : null;
    }
    if (!o.key) return null;
    // an inbound address is the remote's claim: a changed key there is another peer on a reused
    // port, known by its own key; only a dialled address's pin is enforced (and created)
    if (!o.dialled)
      return this.knownHosts.check(address, o.key) === 'mismatch'
        ? null
        : this.pin(address, o.key, { create: false });
    return this.pin(address, o.key, { create: true, expected });
  }

  /**
   * Pin the key of an address on first use (`create`); a changed key is an error naming the way to
   * accept it, unless it is the key the dial `expected` (docs/security.md "Pins and contacts").
   */
  pin(
    address: string,
    key: string,
    opts: { create?: boolean; expected?: string | null } = {},
  ): PeerchatError | null {
    const state = this.knownHosts.check(address, key);
    if (state === 'mismatch' && opts.expected?.toLowerCase() === key) {
      this.knownHosts.trust(address, key);
      return null;
    }
    if (state === 'mismatch') {
      return new PeerchatError(
        'ERR_KEY_MISMATCH',
        `${address} now presents key ${fingerprint(key)}, but ${fingerprint(this.knownHosts.get(address)!)} is pinned. ` +
          `If the change is expected, accept it with peer.trust("${address}", "${key}") or ` +
          `\`peerchat trust ${address} ${key}\`.`,
      );
    }
    if (state === 'new' && (opts.create ?? true)) this.knownHosts.pinSoon(address, key);
    return null;
  }

  /**
   * Plaintext to an address with a pin, or to a peer that had a key, is a downgrade: an attacker
   * who blocks the upgrade (or sends a keyless CONNECT) must not get the text in clear.
   */
  refuseDowngrade(address: string, hadKey: string | null): PeerchatError | null {
    const key = hadKey ?? this.knownHosts.get(address);
    if (!key) return null;
    return new PeerchatError(
      'ERR_DOWNGRADE',
      `${address} is known by key ${fingerprint(key)}: refusing plaintext (classic) with it, as someone may ` +
        'be blocking the encrypted session. Try again when it is reachable; if that address really is a ' +
        'classic peer now, remove its line from known_hosts.',
    );
  }

  /** The key pinned for an address, if any. */
  pinned(address: string): string | null {
    return this.knownHosts.get(address);
  }

  /** Accept a new key for an address deliberately (after ERR_KEY_MISMATCH). */
  trust(address: string, key: string): void {
    const a = toAddress(address);
    if (!/^[0-9a-f]{64}$/i.test(key)) throw new PeerchatError('ERR_USAGE', 'a key is 64 hex characters');
    this.knownHosts.trust(formatAddress(a.host, a.port), key.toLowerCase());
  }

  flush(): void {
    this.knownHosts.flush();
  }
}
