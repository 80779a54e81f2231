/**
 * Slots for inbound native handshakes (CONNECT with the upgrade, then Noise and hello): a stranger
 * that opens handshakes and never finishes them holds a slot until the handshake timeout. When all
 * are taken, a newcomer from a less busy IP takes the oldest slot of the busiest one, so silent
 * handshakes from a few IPs no longer lock out every new peer (64 from two IPs, reopened as they
 * timed out, did). No cap per IP below the total: peers behind one NAT (or on one test host) may
 * all dial at once.
 */
import type { Socket } from 'node:net';

export type SlotAnswer = { ok: true; evicted: string | null } | { ok: false; why: string };

export class HandshakeSlots {
  /** Per IP, its handshakes oldest first. */
  private readonly byIp = new Map<string, Set<Socket>>();
  private total = 0;

  constructor(private readonly max: number) {}

  /** Take a slot for `socket` from `ip` (freed by release(), or when the socket closes). */
  take(ip: string, socket: Socket): SlotAnswer {
    const mine = this.byIp.get(ip);
    const held = mine?.size ?? 0;
    let evicted: string | null = null;
    if (this.total >= this.max) {
      const [busiest, sockets] = [...this.byIp].reduce((a, b) => (b[1].size > a[1].size ? b : a));
      if (sockets.size <= held + 1) return { ok: false, why: `${this.max} handshakes already in progress` };
      const victim = sockets.values().next().value!;
      this.release(busiest, victim);
      victim.destroy();
      evicted = busiest;
    }
    const set = mine ?? new Set<Socket>();
    set.add(socket);
    this.byIp.set(ip, set);
    this.total++;
    socket.once('close', () => this.release(ip, socket));
    return { ok: true, evicted };
  }

  /** The handshake ended (a session, or a failure). Idempotent. */
  release(ip: string, socket: Socket): void {
    const set = this.byIp.get(ip);
    if (!set?.delete(socket)) return;
    this.total--;
    if (set.size === 0) this.byIp.delete(ip);
  }

  get size(): number {
    return this.total;
  }
}
