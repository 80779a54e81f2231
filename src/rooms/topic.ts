/**
 * Room names become 32-byte DHT topics. The DHT only ever sees the topic, never the name,
 * but anyone who knows the name can compute the topic of a plain room.
 */
import { createHash, scryptSync } from 'node:crypto';
import { PeerchatError } from '../errors.js';

const DOMAIN = 'peerchat/room/v1';
const TOPIC_BYTES = 32;
const MAX_ROOM_NAME_BYTES = 256;
const MAX_SECRET_BYTES = 1024;
// scrypt makes guessing a weak secret from an observed topic slow (~50 ms a guess here)
const SCRYPT = { N: 2 ** 14, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;

/** Throws ERR_INVALID_ROOM unless `name` is a usable room name; returns it NFC-normalised. */
export function checkRoomName(name: unknown): string {
  if (typeof name !== 'string') throw new PeerchatError('ERR_INVALID_ROOM', 'a room name must be a string');
  const norm = name.normalize('NFC');
  if (norm.trim() === '' || norm !== norm.trim()) {
    throw new PeerchatError(
      'ERR_INVALID_ROOM',
      `room name ${JSON.stringify(name)} is empty or has outer spaces`,
    );
  }
  // control characters would make names ambiguous in the REPL and in logs
  if (/[\u0000-\u001f\u007f]/.test(norm)) {
    throw new PeerchatError('ERR_INVALID_ROOM', `room name ${JSON.stringify(name)} has control characters`);
  }
  if (Buffer.byteLength(norm) > MAX_ROOM_NAME_BYTES) {
    throw new PeerchatError('ERR_INVALID_ROOM', `room name is longer than ${MAX_ROOM_NAME_BYTES} bytes`);
  }
  return norm;
}

function checkSecret(secret: unknown): string {
  if (typeof secret !== 'string' || secret === '') {
    throw new PeerchatError('ERR_INVALID_ROOM', 'a room secret must be a non-empty string');
  }
  if (Buffer.byteLength(secret) > MAX_SECRET_BYTES) {
    throw new PeerchatError('ERR_INVALID_ROOM', `a room secret is longer than ${MAX_SECRET_BYTES} bytes`);
  }
  return secret.normalize('NFC');
}

/**
 * The DHT topic of a room: BLAKE2b over a domain tag and the name. With a secret, a key
 * stretched from the secret (scrypt, salted with the name) is hashed in too, so the topic
 * cannot be derived from the name alone.
 */
export function roomTopic(name: string, secret?: string): Buffer {
  const room = checkRoomName(name);
  const h = createHash('blake2b512');
  // every part is length-prefixed, so no two (name, secret) pairs hash the same input
  const part = (b: Buffer): void => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    h.update(len).update(b);
  };
  part(Buffer.from(DOMAIN));
  part(Buffer.from(room));
  if (secret === undefined) {
    part(Buffer.from('open'));
  } else {
    const key = scryptSync(checkSecret(secret), `${DOMAIN}/secret/${room}`, TOPIC_BYTES, SCRYPT);
    part(Buffer.from('secret'));
    part(key);
  }
  return h.digest().subarray(0, TOPIC_BYTES);
}
