// @ts-check
/**
 * auto-reply: answers incoming messages with an away message, at most once per peer per interval.
 * `.away [message]` turns it on (optionally with a new message), `.back` turns it off.
 */
import { definePlugin, z } from 'peerchat';

const DEFAULT_MESSAGE = 'I am away right now and will answer later.';
const DEFAULT_INTERVAL_MS = 60 * 60 * 1000;
/** Peers remembered; the oldest are forgotten first (a flood of new addresses cannot grow memory). */
const MAX_TRACKED_PEERS = 10_000;

/**
 * @typedef {object} AutoReplyOptions
 * @property {string} [message] The away message.
 * @property {number} [intervalMs] At most one reply per peer in this time. Default one hour.
 * @property {boolean} [away] Start away. Default true.
 * @property {() => number} [now] Clock, for tests. Default Date.now.
 */

/** A function option (clocks for tests), passed through as it is. */
const FUNCTION = z.custom((v) => typeof v === 'function', { message: 'a function' });

export default definePlugin({
  name: 'auto-reply',
  options: z
    .object({
      message: z.string().trim().min(1, { message: 'a non-empty string' }).optional(),
      intervalMs: z.number().min(0).optional(),
      away: z.boolean().optional(),
      now: /** @type {import('peerchat').z.ZodType<() => number>} */ (FUNCTION).optional(),
    })
    .strict()
    .optional(),
  /**
   * @param {import('peerchat').PluginApi<AutoReplyOptions | undefined>} api
   * @param {AutoReplyOptions | undefined} options
   */
  setup(api, options) {
    const o = options ?? {};
    let message = o.message ?? DEFAULT_MESSAGE;
    const intervalMs = o.intervalMs ?? DEFAULT_INTERVAL_MS;
    const now = o.now ?? Date.now;
    let away = o.away ?? true;
    /** @type {Map<string, number>} peer (key, else address) -> time of the last reply */
    const lastReply = new Map();

    api.addCommand('away', {
      help: 'Turn the away message on: .away [message]',
      action(args) {
        away = true;
        if (args.trim()) message = args.trim();
        lastReply.clear();
        return `away: "${message}"`;
      },
    });
    api.addCommand('back', {
      help: 'Turn the away message off',
      action() {
        away = false;
        return 'back: the away message is off';
      },
    });

    return {
      async onMessage(msg) {
        if (!away || msg.direction !== 'in') return;
        const who = msg.key ?? msg.from;
        const last = lastReply.get(who);
        const t = now();
        if (last !== undefined && t - last < intervalMs) return;
        lastReply.delete(who);
        lastReply.set(who, t);
        if (lastReply.size > MAX_TRACKED_PEERS)
          lastReply.delete(/** @type {string} */ (lastReply.keys().next().value));
        // queued, not awaited to delivery: a slow peer must not hold the hook past its timeout
        await api.reply(msg, message, { wait: false });
      },
    };
  },
});
