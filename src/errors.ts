/** Every error peerchat throws or reports carries one of these codes. Scripts branch on `err.code`. */
export const codes = {
  ERR_INVALID_ADDRESS: 'not a valid "ip:port" address',
  ERR_INVALID_NAME: 'not a valid peer name',
  ERR_UNKNOWN_TARGET: 'no peer matches the target',
  ERR_AMBIGUOUS_TARGET: 'more than one peer matches the target',
  ERR_PEER_UNREACHABLE: 'the peer cannot be reached',
  ERR_CONNECT_TIMEOUT: 'the peer did not answer in time',
  ERR_NOT_CONNECTED: 'the peer is not connected',
  ERR_MESSAGE_TOO_LONG: 'the message is longer than the protocol allows',
  ERR_ACK_TIMEOUT: 'the peer did not acknowledge the message in time',
  ERR_DISCONNECTED: 'the session closed before the operation finished',
  ERR_QUERY_TIMEOUT: 'the peer did not answer the query in time',
  ERR_BAD_FRAME: 'a malformed frame was received',
  ERR_FRAME_TOO_LARGE: 'a frame exceeded the size limit',
  ERR_IDLE_TIMEOUT: 'the connection was idle for too long',
  ERR_TOO_MANY_CONNECTIONS: 'the connection limit was reached',
  ERR_UNSOLICITED_PEERLIST: 'a PEERLIST arrived without a QUERY',
  ERR_HANDSHAKE_TIMEOUT: 'the encrypted handshake did not complete in time',
  ERR_HANDSHAKE_FAILED: 'the encrypted handshake failed',
  ERR_PROTOCOL_VERSION: 'the peer speaks another protocol version',
  ERR_KEY_MISMATCH: 'the peer presented a different key than the one pinned',
  ERR_NOT_ALLOWED: 'the peer key is not in the allow list',
  ERR_CLASSIC_REFUSED: 'plaintext classic peers are refused by configuration',
  ERR_ADDRESS_MISMATCH: 'the peer dialled states another listening port than the one dialled',
  ERR_ADDRESS_IN_USE: 'a session with another key claims the address of a connected peer',
  ERR_OUTPUT_BUDGET: 'a peer that does not read its output passed the session output budget',
  ERR_RATE_LIMITED: 'a sender passed its message or byte rate',
  ERR_REFUSED: 'the peer refused the message for a reason this version does not know; it stays queued',
  ERR_FORGED_SENDER: 'a classic line named a sender at another IP than its socket',
  ERR_DOWNGRADE: 'a peer known by its key would get plaintext',
  ERR_UNKNOWN_MESSAGE: 'an unknown message type was received',
  ERR_CHANNEL_FLOOD: 'too many channel opens on one session',
  ERR_CHANNEL_REFUSED: 'a channel this session does not carry was opened',
  ERR_LISTEN: 'the peer could not listen on the address',
  ERR_CLOSED: 'the peer is closed',
  ERR_CONFIG_INVALID: 'the configuration is invalid',
  ERR_CONFIG_NOT_FOUND: 'the configuration file was not found',
  ERR_CONFIG_EMPTY: 'a configuration file is empty',
  ERR_IDENTITY: 'the identity key files cannot be used',
  ERR_DATA_DIR: 'the data directory cannot be used',
  ERR_PLUGIN_LOAD: 'a plugin could not be loaded',
  ERR_PLUGIN_HOOK: 'a plugin hook failed',
  ERR_PLUGIN_HOOK_TIMEOUT: 'a plugin hook took too long',
  ERR_PLUGIN_UNCAUGHT: 'a plugin left an error outside its hooks (a timer, an unawaited call)',
  ERR_PLUGIN_UNKNOWN_HOOK: 'a plugin registered an unknown hook',
  ERR_PLUGIN_COMMAND_CLASH: 'a plugin command clashes with an existing command',
  ERR_PLUGIN_DISABLED: 'a plugin was disabled after repeated failures',
  ERR_PIN_LIMIT: 'known_hosts holds as many automatic pins as allowed for that host; the key was not pinned',
  ERR_UNHANDLED_REJECTION: 'a promise rejection was not handled; the process shuts down',
  ERR_UNCAUGHT_EXCEPTION: 'an exception was not caught; the process shuts down',
  ERR_PLUGIN_PEER_MUTED: "a plugin ignores one peer's input after repeated failures on it",
  ERR_STORE_LOCKED: 'another process uses the data directory',
  ERR_STORE_CORRUPT: 'the database file cannot be read',
  ERR_STORE_VERSION: 'the database was written by a newer peerchat',
  ERR_STORE_WRITE: 'the database could not be written',
  ERR_STORE_READ: 'the database could not be read',
  ERR_STORE_READONLY: 'the store was opened read-only',
  ERR_OUTBOX_FULL: 'the outbox is full',
  ERR_MESSAGE_EXPIRED: 'the message expired before it was delivered',
  ERR_ROOM_BOOTSTRAP: 'no DHT bootstrap is configured',
  ERR_ROOM: 'the room could not be joined',
  ERR_INVALID_ROOM: 'not a valid room name or secret',
  ERR_ROOM_CHANNEL_TIMEOUT: 'the channel did not open on a room connection in time',
  ERR_ROOM_REPLACED: 'a newer room connection to the same peer replaced this one',
  ERR_EXPORT_WRITE: 'the export output could not be written',
  ERR_USAGE: 'the command was used wrongly',
  ERR_SCRIPT: 'a script, --eval code or REPL input raised an uncoded error',
  ERR_PLUGIN_DROPPED: 'a plugin transform dropped the outgoing message',
  ERR_INTERNAL: 'an uncoded error inside peerchat (a bug): the message says where',
} as const;

export type Code = keyof typeof codes;

export class PeerchatError extends Error {
  readonly code: Code;
  constructor(code: Code, message: string = codes[code], options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PeerchatError';
    this.code = code;
  }
}

/** True for a PeerchatError, optionally of the given code. */
export function isPeerchatError(err: unknown, code?: Code): err is PeerchatError {
  return err instanceof PeerchatError && (code === undefined || err.code === code);
}

/** A warning is reported, never thrown: bad input from the network, a plugin, a config file. */
export interface Warning {
  code: Code;
  message: string;
  cause?: unknown;
}

/** A failure as it travels in results and events: a code scripts branch on, and the text. */
export interface Failure {
  code: Code;
  message: string;
}

/** Anything thrown as a Failure: a PeerchatError keeps its code, anything else is `fallback`. */
export function toFailure(err: unknown, fallback: Code = 'ERR_INTERNAL'): Failure {
  return { code: err instanceof PeerchatError ? err.code : fallback, message: errorMessage(err) };
}

/** The text of anything thrown: an Error's message, else its string form. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * A thrown value as a warning with context: a PeerchatError keeps its code, anything else gets
 * `fallback` (the code of the operation that failed). The original is kept as `cause`.
 */
export function toWarning(err: unknown, context: string, fallback: Code): Warning {
  return err instanceof PeerchatError
    ? { code: err.code, message: `${context}: ${err.message}`, cause: err }
    : { code: fallback, message: `${context}: ${errorMessage(err)}`, cause: err };
}
