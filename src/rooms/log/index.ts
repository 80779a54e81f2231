export { type Announce, MAX_ANNOUNCED_AUTHORS } from './announce.js';
export { ANNOUNCE_PROTOCOL, MAX_ROOM_OFFERS, RoomChannels } from './channels.js';
export { decodeEntry, type EntryBody, encodeEntry, MAX_BLOCK_BYTES, MAX_CLOCK_SKEW_MS } from './entry.js';
export { announceChannelId, roomLogEncryptionKey } from './keys.js';
export { compareEntries } from './order.js';
export { DEFAULT_MAX_ENTRIES, RoomLog } from './room-log.js';
export {
  type RoomEntry,
  type RoomLogOptions,
  type RoomLogWarning,
  type RoomMember,
  roomLogDir,
} from './types.js';
