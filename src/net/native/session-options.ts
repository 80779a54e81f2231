/** What a native session is created with: its role, keys, hello, timeouts and key check. */
import type { PeerchatError } from '../../errors.js';
import type { Hello } from '../session.js';
import type { ChannelPolicy } from './mux-transport.js';

export interface NativeTimeouts {
  /** Noise handshake + hello, from creation. At most 10 s. */
  handshake: number;
  /** Empty keepalive frames are sent this often when idle. */
  keepAlive: number;
  /** A session that received nothing for this long is closed as "lost". */
  session: number;
  /** sendChat rejects with ERR_ACK_TIMEOUT after this. */
  ack: number;
  /** requestPeers rejects with ERR_QUERY_TIMEOUT after this. */
  query: number;
}

export interface NativeSessionOptions {
  /** The dialer is the initiator. */
  isInitiator: boolean;
  keyPair: { publicKey: Buffer; secretKey: Buffer };
  /** What we tell the remote about ourselves. */
  hello: Hello;
  /** Bytes read from the socket past the upgrade line (ignored for a NoiseSecretStream). */
  leftover?: Buffer;
  timeouts: NativeTimeouts;
  /** Called once the remote key is known; an error refuses the session before any hello. */
  verifyKey?: (remoteKeyHex: string) => PeerchatError | null;
  /** Other protocols this session carries on its protomux (room logs on a room connection). */
  channels?: ChannelPolicy | null;
}
