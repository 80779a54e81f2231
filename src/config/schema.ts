/**
 * The config file schema: every key, its default and its validation. A public contract:
 * config.example.json shows each key with the default given here, and a test keeps them equal.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { DEFAULT_LIMITS, DEFAULT_TIMEOUTS } from '../defaults.js';
import { isPrintableName } from '../sanitize.js';

export const NAME_MAX = 32;
export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

// empty is the length rule's to report, not this one
const NAME_RE = /^\S*$/;
const KEY_RE = /^[0-9a-fA-F]{64}$/;
const PORT_RE = /^[0-9]{1,5}$/;
const HOSTPORT_RE = /^(\[[0-9a-fA-F:.]+\]|[^\s:[\]]+):([0-9]{1,5})$/;

/** Same rules as src/net/address.ts (config may not import net): an IP literal and a port 1..65535. */
export function isAddress(text: string): boolean {
  const i = text.lastIndexOf(':');
  if (i <= 0) return false;
  let host = text.slice(0, i);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  const port = text.slice(i + 1);
  return isIP(host) !== 0 && PORT_RE.test(port) && Number(port) >= 1 && Number(port) <= 65535;
}

/** "host:port" where host may be a DNS name (DHT bootstrap nodes). */
function isHostPort(text: string): boolean {
  const m = HOSTPORT_RE.exec(text);
  return m !== null && Number(m[2]) >= 1 && Number(m[2]) <= 65535;
}

const ADDRESS = 'an "ip:port" address such as "127.0.0.1:5000"';
const LISTEN_PORT = 'a whole number from 0 to 65535 (0: any free port)';
const KEY = 'a 64-character hex public key';

export const nameSchema = z
  .string()
  .min(1, { message: 'a name of 1-32 characters' })
  .max(NAME_MAX, { message: 'a name of 1-32 characters' })
  .regex(NAME_RE, { message: 'a name without any whitespace' })
  // what every peer refuses in a CONNECT: a ':' splits the classic frame, a control character
  // or an invisible one would reach (or fake) a terminal
  .regex(/^[^:]*$/, { message: 'a name without ":" (classic frames use it as a separator)' })
  .refine(isPrintableName, { message: 'a name without control or invisible characters' });

const address = z.string().refine(isAddress, { message: ADDRESS });
const key = z
  .string()
  .regex(KEY_RE, { message: KEY })
  .transform((k) => k.toLowerCase());

const ms = z.number().int().min(1).max(86_400_000);
const count = z.number().int().min(1);

const autoConnectEntry = z
  .union([address, z.object({ address, key: key.optional(), name: nameSchema.optional() }).strict()])
  .describe('an "ip:port" string or an object { address, key?, name? }');

const pluginEntry = z
  .union([
    z.string().min(1, { message: 'a plugin spec (package name or path)' }),
    z.tuple([z.string().min(1, { message: 'a plugin spec (package name or path)' }), z.record(z.unknown())]),
  ])
  .describe('a plugin spec string or a [spec, options] pair');

/** Timeouts in milliseconds: names and defaults from src/defaults.ts. */
const timeouts = z
  .object({
    connect: ms.default(DEFAULT_TIMEOUTS.connect),
    handshake: ms.default(DEFAULT_TIMEOUTS.handshake),
    idle: ms.default(DEFAULT_TIMEOUTS.idle),
    ack: ms.default(DEFAULT_TIMEOUTS.ack),
    query: ms.default(DEFAULT_TIMEOUTS.query),
    keepAlive: ms.default(DEFAULT_TIMEOUTS.keepAlive),
    session: ms.default(DEFAULT_TIMEOUTS.session),
  })
  .strict()
  .default({});

/** Names and defaults from src/defaults.ts. */
const limits = z
  .object({
    maxFrameBytes: count.default(DEFAULT_LIMITS.maxFrameBytes),
    maxInbound: count.default(DEFAULT_LIMITS.maxInbound),
    maxInboundPerIp: count.default(DEFAULT_LIMITS.maxInboundPerIp),
    maxUnauthenticated: count.default(DEFAULT_LIMITS.maxUnauthenticated),
    maxPeerlistKeys: count.default(DEFAULT_LIMITS.maxPeerlistKeys),
    messagesPerSecond: count.default(DEFAULT_LIMITS.messagesPerSecond),
    bytesPerSecond: count.default(DEFAULT_LIMITS.bytesPerSecond),
  })
  .strict()
  .default({});

const history = z
  .object({
    /** Messages older than this many days are deleted. Null: no age limit (maxMessages still applies). */
    retentionDays: z.number().positive().nullable().default(null),
    /** At most this many messages are kept (the oldest go first). Null: no limit. */
    maxMessages: count.nullable().default(100_000),
    /** The database is kept under this many bytes (the oldest history goes first). Null: no limit. */
    maxBytes: count.nullable().default(256 * 1024 * 1024),
    /** Chat-mode held messages kept; past it the oldest is released (it stays in the history). */
    maxPending: count.default(10_000),
    /** Room log entries kept per room (all authors together); older ones are deleted locally. */
    roomMaxEntries: count.default(10_000),
  })
  .strict()
  .default({});

const outbox = z
  .object({
    maxPerPeer: count.default(1000),
    maxTotal: count.default(10_000),
    /** Messages not acked this long after they were queued are marked failed (7 days). */
    expireHours: z.number().positive().default(168),
  })
  .strict()
  .default({});

const dht = z
  .object({
    /**
     * "public" (the Hyperswarm network's nodes) or an explicit list of "host:port".
     * Null: not configured, and joining a room is an error that says how to choose.
     */
    bootstrap: z
      .union([
        z.literal('public'),
        z
          .array(z.string().refine(isHostPort, { message: 'a "host:port" bootstrap node' }))
          .min(1, { message: 'a non-empty list of "host:port" (an empty list is not a valid bootstrap)' }),
        z.null(),
      ])
      .describe('"public" or a non-empty list of "host:port"')
      .default(null),
  })
  .strict()
  .default({});

export const configSchema = z
  .object({
    /** Display name. Null: ask on a TTY, else the OS user name. */
    name: nameSchema.nullable().default(null),
    host: z
      .string()
      .min(1, { message: 'a host address to listen on' })
      // four numbers are meant as an IPv4 address: 999.1.1.1 is a typo, not a name to look up
      .refine((h) => !/^\d+(\.\d+){3}$/.test(h) || isIP(h) === 4, { message: 'a valid IPv4 address' })
      .default('0.0.0.0'),
    /** 0 takes an ephemeral port. */
    port: z
      .number({ invalid_type_error: LISTEN_PORT })
      .int({ message: LISTEN_PORT })
      .min(0, { message: LISTEN_PORT })
      .max(65_535, { message: LISTEN_PORT })
      .default(0),
    /** Null: the platform's per-user data directory (env-paths). */
    dataDir: z.string().min(1).nullable().default(null),
    autoConnect: z.array(autoConnectEntry).default([]),
    plugins: z.array(pluginEntry).default([]),
    /** Accept plaintext classic peers. */
    classic: z.boolean().default(true),
    /** Hex keys admitted (private mode). Null admits every key. */
    allow: z.array(key).nullable().default(null),
    timeouts,
    limits,
    /** Null: colour when the output is a TTY and NO_COLOR is unset. */
    color: z.boolean().nullable().default(null),
    logLevel: z.enum(LOG_LEVELS).default('info'),
    /** False keeps nothing in SQLite: a memory-only peer. */
    store: z.boolean().default(true),
    history,
    outbox,
    /** Rooms joined on start (Hyperswarm DHT). */
    rooms: z.array(z.string().min(1, { message: 'a non-empty room name' })).default([]),
    dht,
    /** A plugin hook that takes longer than this fails with ERR_PLUGIN_HOOK_TIMEOUT. */
    pluginTimeoutMs: ms.default(5000),
  })
  .strict();

/** What a config file (or flags/env) may contain. */
export type ConfigInput = z.input<typeof configSchema>;
/** The parsed, defaulted file shape: name and dataDir may still be null ("decide at runtime"). */
export type ParsedConfig = z.output<typeof configSchema>;
/** What loadConfig returns: name and dataDir resolved. */
export type Config = Omit<ParsedConfig, 'name' | 'dataDir'> & { name: string; dataDir: string };
export type AutoConnectEntry = ParsedConfig['autoConnect'][number];
export type PluginEntry = ParsedConfig['plugins'][number];

/** Every key with its default, as config.example.json shows it. */
export const defaults: ParsedConfig = configSchema.parse({});

/** autoConnect entries in one shape: a bare "ip:port" becomes { address }. */
export function autoConnectEntries(
  list: readonly AutoConnectEntry[],
): { address: string; key?: string; name?: string }[] {
  return list.map((e) => (typeof e === 'string' ? { address: e } : { ...e }));
}
