// @ts-check
/**
 * bot: answers `!ping`, `!time` and `!help` in incoming messages. Other plugins add commands
 * through the `botCommand` helper: `api.helpers.botCommand('roll', (args, msg) => '4')`.
 */
import { definePlugin, PeerchatError, z } from 'peerchat';

const DEFAULT_PREFIX = '!';
const COMMAND_NAME = /^[a-z0-9][a-z0-9_-]*$/;
/** Replies are cut to this length so a command cannot produce a message the protocol refuses. */
const MAX_REPLY_CHARS = 4000;

/**
 * @typedef {(args: string, msg: import('peerchat').ChatMessage) => string | void | undefined | Promise<string | void | undefined>} BotHandler
 * A handler's string result is sent back to the sender (said in the room, for a room message);
 * nothing is sent for undefined.
 */

/**
 * @typedef {object} BotOptions
 * @property {string} [prefix] What starts a command. Default '!'.
 * @property {() => Date} [now] Clock for !time, for tests.
 */

/** A function option (clocks for tests), passed through as it is. */
const FUNCTION = z.custom((v) => typeof v === 'function', { message: 'a function' });

export default definePlugin({
  name: 'bot',
  options: z
    .object({
      prefix: z.string().regex(/^\S+$/, { message: 'a non-empty string without spaces' }).optional(),
      now: /** @type {import('peerchat').z.ZodType<() => Date>} */ (FUNCTION).optional(),
    })
    .strict()
    .optional(),
  /**
   * @param {import('peerchat').PluginApi<BotOptions | undefined>} api
   * @param {BotOptions | undefined} options
   */
  setup(api, options) {
    const prefix = options?.prefix ?? DEFAULT_PREFIX;
    const now = options?.now ?? (() => new Date());
    /** @type {Map<string, { help: string; handler: BotHandler; owner: string }>} */
    const commands = new Map();

    /**
     * @param {string} name
     * @param {BotHandler} handler
     * @param {string} [help]
     * @param {string} [owner]
     * @returns {() => void} removes the command again
     */
    function botCommand(name, handler, help = '', owner = 'a plugin') {
      const key = String(name).toLowerCase();
      if (!COMMAND_NAME.test(key))
        throw new PeerchatError('ERR_USAGE', `"${name}" is not a valid bot command name`);
      if (typeof handler !== 'function')
        throw new PeerchatError('ERR_USAGE', `bot command "${name}" needs a handler`);
      const existing = commands.get(key);
      if (existing) {
        throw new PeerchatError(
          'ERR_PLUGIN_COMMAND_CLASH',
          `bot command "${prefix}${key}" of ${owner} clashes with the one of ${existing.owner}`,
        );
      }
      commands.set(key, { help, handler, owner });
      return () => {
        if (commands.get(key)?.handler === handler) commands.delete(key);
      };
    }

    botCommand('ping', () => 'pong', 'answers pong', 'bot');
    botCommand('time', () => now().toISOString(), 'the local time (ISO 8601)', 'bot');
    botCommand(
      'help',
      () =>
        [...commands.entries()]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([name, c]) => (c.help ? `${prefix}${name}: ${c.help}` : `${prefix}${name}`))
          .join('\n'),
      'this list',
      'bot',
    );
    api.addHelper('botCommand', botCommand);

    return {
      async onMessage(msg) {
        // a room message read by catch-up was asked long ago: not answered again
        if (msg.direction !== 'in' || msg.late || !msg.text.startsWith(prefix)) return;
        const body = msg.text.slice(prefix.length).trim();
        const [word = '', ...rest] = body.split(/\s+/);
        const command = commands.get(word.toLowerCase());
        if (!command) return;
        let answer;
        try {
          answer = await command.handler(rest.join(' '), msg);
        } catch (err) {
          api.log.warn(`${prefix}${word} failed:`, err instanceof Error ? err.message : err);
          return;
        }
        if (typeof answer !== 'string' || answer === '') return;
        await api.reply(msg, answer.slice(0, MAX_REPLY_CHARS), { wait: false });
      },
    };
  },
});
