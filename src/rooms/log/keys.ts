/**
 * Keys of a room log. The block encryption key of a secret room comes from the secret by its own
 * scrypt salt, so it cannot be computed from the topic (which the DHT sees).
 */
import { createHash, scryptSync } from 'node:crypto';
import { checkRoomName } from '../topic.js';

const DOMAIN = 'peerchat/room-log/v1';
const SCRYPT = { N: 2 ** 14, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;

/** The 32-byte hypercore block encryption key of a secret room. */
export function roomLogEncryptionKey(name: string, secret: string): Buffer {
  const room = checkRoomName(name);
  return scryptSync(secret.normalize('NFC'), `${DOMAIN}/encryption/${room}`, 32, SCRYPT);
}

/** The protomux channel id of a room's announce channel: one per room on a shared connection. */
export function announceChannelId(topic: Uint8Array): Buffer {
  return createHash('blake2b512').update(`${DOMAIN}/announce`).update(topic).digest().subarray(0, 32);
}
