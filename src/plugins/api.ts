/** The api a plugin's setup receives: the peer through PeerApi, its logger, state dir, commands and helpers. */
import { format } from 'node:util';
import { PeerchatError } from '../errors.js';
import type { PeerApi, SendOptions } from '../peer/api.js';
import { defineLive } from '../peer/members.js';
import { sanitize } from '../sanitize.js';
import type { ChatMessage, SendResult } from '../types.js';
import type { Registry, Staged } from './registry.js';
import type { HistoryReader, LogLevel, PluginApi, PluginHelper, PluginLogger } from './types.js';

export interface ApiContext {
  plugin: string;
  spec: string;
  options: unknown;
  baseDir: string;
  /** Where addCommand/addHelper stage until setup succeeded. */
  staged: Staged;
  peer: PeerApi;
  log: (level: LogLevel, message: string) => void;
  /** Every plugin's helpers (the plugin gets a read-only view). */
  helpers: Record<string, PluginHelper>;
  registry: Registry;
  history: HistoryReader | undefined;
  isDisabled(): boolean;
  /** The plugin's state directory, created on first use. */
  stateDir(): string;
}

/**
 * Errors the api's calls rejected with, by plugin: a plugin that leaves such a call unawaited
 * (`api.reply(msg, text)`) leaves an unhandled rejection the host can trace back to it.
 */
export const rejectedFor = new WeakMap<object, string>();

/** Mark what `p` rejects with as this plugin's. */
function traced<T>(plugin: string, p: Promise<T>): Promise<T> {
  return p.catch((err: unknown) => {
    if (err !== null && typeof err === 'object') rejectedFor.set(err, plugin);
    throw err;
  });
}

export function makeApi(ctx: ApiContext): PluginApi {
  const { plugin: pluginName, options, baseDir, staged, spec, peer, registry } = ctx;
  const logger = makeLogger(pluginName, ctx.log);
  const live = (): void => {
    if (ctx.isDisabled())
      throw new PeerchatError('ERR_PLUGIN_DISABLED', `plugin "${pluginName}" is disabled`);
  };
  const readonlyHelpers = new Proxy(ctx.helpers, {
    set: () => false,
    defineProperty: () => false,
    deleteProperty: () => false,
  });
  let stateDir: string | null = null;
  const own: Omit<PluginApi, 'name' | 'id' | 'address'> = {
    plugin: pluginName,
    options,
    baseDir,
    get stateDir() {
      stateDir ??= ctx.stateDir();
      return stateDir;
    },
    log: logger,
    helpers: readonlyHelpers,
    send(target: string, text: string, opts?: SendOptions) {
      return traced(
        pluginName,
        (async () => {
          live();
          return peer.send(target, text, opts);
        })(),
      );
    },
    reply(msg: ChatMessage, text: string, opts?: SendOptions) {
      return traced(
        pluginName,
        (async () => {
          live();
          if (typeof msg.room === 'string') return sayAsResult(peer, msg.room, text); // answered in its room
          return peer.send(msg.from, text, opts);
        })(),
      );
    },
    say(room: string, text: string) {
      return traced(
        pluginName,
        (async () => {
          live();
          return peer.say(room, text);
        })(),
      );
    },
    broadcast(text: string) {
      return traced(
        pluginName,
        (async () => {
          live();
          return peer.broadcast(text);
        })(),
      );
    },
    peers: () => peer.activePeers(),
    connectedPeers: () => peer.connectedPeers(),
    addCommand: (name, command) => {
      registry.stageCommand(pluginName, spec, staged, name, command);
    },
    addHelper: (name, fn) => {
      registry.stageHelper(pluginName, spec, staged, name, fn);
    },
  };
  // getters, read live: the port and address are known once the peer listens
  const api: PluginApi = defineLive(own, peer, ['name', 'id', 'address']);
  if (ctx.history) {
    const history = ctx.history;
    api.history = (target, query) => history(target, query);
  }
  return api;
}

/** A room message said, as the SendResult `reply` resolves with. */
async function sayAsResult(peer: PeerApi, room: string, text: string): Promise<SendResult> {
  const r = await peer.say(room, text);
  return { id: r.id, to: `room:${r.room}`, protocol: 'native', state: 'sent' };
}

function makeLogger(plugin: string, log: (level: LogLevel, message: string) => void): PluginLogger {
  const at =
    (level: LogLevel) =>
    (...args: unknown[]) =>
      // plugins log what peers said: escape controls before it reaches a terminal or a log file
      log(level, sanitize(`[${plugin}] ${format(...args)}`));
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
