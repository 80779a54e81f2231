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

  constructor(opts: { dataDir: string | null; allow: string[] | null; warn?: (w: Warning) => void }) {
    // a damaged line or a failed write is a warning while the peer runs, not silence
    this.knownHosts = KnownHosts.open(opts.dataDir, opts.warn);
    this.allow = opts.allow ? new Set(opts.allow.map((k) => k.toLowerCase())) : null;
  }

  /** Checked during the handshake: the key a dial expected, then the allow list. */
  verifyKey(remote: string, expected: string | null): PeerchatError | null {
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
   * Pin the key of an address on first use; a changed key is an error naming the way to accept it,
   * unless it is the key the dial `expected` (a contact's or a configured key: the pin moves to it).
   * `inbound`: the address is the remote's claim (it dialled us), so a changed key is another peer
   * (the OS reused a port), accepted by its key, and the pin stays (docs/security.md "Pins and contacts").
   */
  pin(
    address: string,
    key: string,
    opts: { inbound?: boolean; expected?: string | null } = {},
  ): PeerchatError | null {
    const state = this.knownHosts.check(address, key);
    if (state === 'mismatch' && opts.inbound) return null;
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
    if (state === 'new') this.knownHosts.pinSoon(address, key);
    return null;
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
