/**
 * Which room log channels a room connection accepts (the ChannelPolicy of its MuxTransport): the
 * announce channel of a room this peer joined, and hypercore channels once the connection carries
 * such a room. Each carried room allows one channel per author it may list, and no more.
 */
import { PeerchatError } from '../../errors.js';
import { type ChannelPolicy, MAX_CHANNEL_OPENS, type MuxTransport } from '../../net/native/mux-transport.js';
import { MAX_ANNOUNCED_AUTHORS } from './announce.js';

export const ANNOUNCE_PROTOCOL = 'peerchat/room-log/1';
/** hypercore 11 opens `hypercore/alpha` (alias `hypercore`) with 10 message types. */
const HYPERCORE_PROTOCOLS = new Set(['hypercore/alpha', 'hypercore']);
const HYPERCORE_MESSAGES = 10;
const ANNOUNCE_MESSAGES = 1;
const DISCOVERY_KEY_BYTES = 32;
/**
 * Announce channels of rooms this peer has not joined that a remote may offer on one connection
 * (it joined them and does not know whether we did; we reject them). Each holds one channel slot
 * until the remote reuses its id, so they get slots of their own, and a member offers no more.
 */
export const MAX_ROOM_OFFERS = 64;

export class RoomChannels implements ChannelPolicy {
  /** Announce channel ids (hex) of joined rooms the remote opened on this connection. */
  private readonly carried = new Set<string>();
  /** Announce channel ids (hex) of rooms not joined (when offered) that the remote offered. */
  private readonly offered = new Set<string>();

  /**
   * `joined(idHex)`: the announce channel id is one of a room this peer joined. `onRoom` is told
   * when the remote opens one, before protomux handles the open: replicating the room's log on
   * `transport.userData` (the protomux) then pairs our channel with the remote's.
   */
  constructor(
    private readonly joined: (announceIdHex: string) => boolean,
    private readonly onRoom?: (announceIdHex: string, transport: MuxTransport) => void,
  ) {}

  messages(protocol: string, id: Uint8Array | null, transport?: MuxTransport): number | PeerchatError {
    if (protocol === ANNOUNCE_PROTOCOL) {
      const hex = id ? Buffer.from(id).toString('hex') : '';
      if (!id || !this.joined(hex)) {
        // a room we are not in: protomux rejects it, nothing may flow on it
        if (id && this.offered.size < MAX_ROOM_OFFERS) this.offered.add(hex);
        return 0;
      }
      this.offered.delete(hex);
      this.carried.add(hex);
      if (transport) this.onRoom?.(hex, transport);
      return ANNOUNCE_MESSAGES;
    }
    if (HYPERCORE_PROTOCOLS.has(protocol)) {
      if (this.carried.size > 0 && id?.byteLength === DISCOVERY_KEY_BYTES) return HYPERCORE_MESSAGES;
      return new PeerchatError(
        'ERR_CHANNEL_REFUSED',
        'a hypercore channel was opened on a connection that carries no joined room',
      );
    }
    return 0;
  }

  maxOpen(): number {
    return MAX_CHANNEL_OPENS + this.offered.size + this.carried.size * (1 + MAX_ANNOUNCED_AUTHORS);
  }

  /** Announce ids (hex) of the joined rooms the remote opened on this connection. */
  has(announceIdHex: string): boolean {
    return this.carried.has(announceIdHex);
  }
}
