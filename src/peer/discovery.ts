/**
 * Discovery: ask a peer for its peers (classic QUERY or the native peers request), learn the
 * answer into the active table within the limit, answer others' requests, and connect to all.
 */
import { CONNECT_ALL_CONCURRENCY } from '../defaults.js';
import { formatAddress, parseAddress } from '../net/address.js';
import { queryPeerlist } from '../net/classic/client.js';
import type { PeerEntry, PeerInfo } from '../types.js';
import type { PeerCore } from './core.js';
import { type PeerRecord, toInfo } from './table.js';

export class Discovery {
  constructor(
    private readonly core: PeerCore,
    private readonly connect: (address: string) => Promise<PeerInfo>,
  ) {}

  /** Ask a peer for its connected peers; resolves to the addresses learned. */
  async query(rec: PeerRecord): Promise<string[]> {
    const { core } = this;
    const entries: PeerEntry[] = rec.session
      ? await rec.session.requestPeers()
      : (await queryPeerlist(rec.host, rec.port, core.timeouts.query, core.limits.maxFrameBytes)).keys.map(
          (address) => ({ address, key: null, name: null }),
        );
    // it answered: it is a peer
    const [known, isNew] = core.table.upsert(rec.address, rec.host, rec.port);
    if (isNew) core.emit('peer-discovered', toInfo(known));
    return this.learn(entries, rec.address);
  }

  /** Add peers from an answer to the active table; returns the valid addresses learned. */
  learn(entries: PeerEntry[], from: string): string[] {
    const { core } = this;
    const max = core.limits.maxPeerlistKeys;
    const out: string[] = [];
    const seen = new Set<string>();
    for (const e of entries) {
      if (out.length >= max) {
        core.warnings.warn(
          'ERR_BAD_FRAME',
          `peer list from ${from} has more than ${max} keys; the rest were ignored`,
        );
        break;
      }
      const a = parseAddress(e.address);
      if (!a) continue;
      const address = formatAddress(a.host, a.port);
      if (core.isSelf(a.host, a.port) || seen.has(address)) continue;
      seen.add(address);
      out.push(address);
      const [rec, isNew] = core.table.discover(address, a.host, a.port, from);
      if (!rec.name && e.name) rec.name = e.name;
      if (isNew) core.emit('peer-discovered', toInfo(rec));
    }
    return out;
  }

  /** Connect to every discovered peer that is not connected yet; failures are warnings. */
  async connectAll(): Promise<PeerInfo[]> {
    const { core } = this;
    const todo = core.table.all().filter((r) => !r.session && !core.isSelf(r.host, r.port));
    // a bounded pool: a table full of addresses must not become thousands of dials at once
    const results: PromiseSettledResult<PeerInfo>[] = new Array(todo.length);
    let next = 0;
    const worker = async () => {
      while (next < todo.length) {
        const i = next++;
        results[i] = await this.connect(todo[i]!.address).then(
          (value) => ({ status: 'fulfilled' as const, value }),
          (reason: unknown) => ({ status: 'rejected' as const, reason }),
        );
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONNECT_ALL_CONCURRENCY, todo.length) }, worker));
    const out: PeerInfo[] = [];
    results.forEach((res, i) => {
      if (res.status === 'fulfilled') out.push(res.value);
      else core.warnings.fail(res.reason, `connect to ${todo[i]!.address} failed`);
    });
    return out;
  }

  /** The native peers answer: our connected peers but the one asking. */
  entriesFor(except: string): PeerEntry[] {
    return this.core.table
      .connected()
      .filter((r) => r.address !== except)
      .map((r) => ({ address: r.address, key: r.key, name: r.name }));
  }

  /** The classic PEERLIST answer: every connected address. */
  peerlist(): string[] {
    return this.core.table.connected().map((r) => r.address);
  }

  /**
   * A classic QUERY has no key: it is answered only when classic peers are accepted and no allow
   * list restricts who may talk to this peer (native peers ask over their authenticated session).
   */
  classicAnswer(policy: { classic: boolean; allowList: boolean }): string[] | null {
    if (!policy.classic) {
      this.core.warnings.warn('ERR_CLASSIC_REFUSED', 'refused a classic QUERY (classic is off)');
      return null;
    }
    if (policy.allowList) {
      this.core.warnings.warn(
        'ERR_NOT_ALLOWED',
        'refused a classic QUERY: an allow list is set, and it has no key',
      );
      return null;
    }
    return this.peerlist();
  }
}
