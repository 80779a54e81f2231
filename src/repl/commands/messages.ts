/** Messages: send, chat mode and its pending messages, the stored history and the outbox. */
import type { ChatMessage } from '../../types.js';
import { type ArgsSpec, parseCommandArgs, positiveInt } from '../args.js';
import { type Colors, formatMessage, sanitize } from '../format.js';
import { extra, group, splitFirst, usage, words } from './shared.js';

const HISTORY_LIMIT = 20; // rows `.history` shows when no limit is given

/** `.history [target] [limit] [--search text] [--limit n]` */
export const HISTORY_ARGS: ArgsSpec = {
  usage: '.history [target] [limit] [--search text] [--limit n]',
  options: {
    search: { type: 'string', describe: 'only messages whose text contains this' },
    limit: { type: 'string', describe: 'the newest N messages' },
  },
  maxPositionals: 2,
};

function formatStored(rows: Array<ChatMessage & { state?: string }>, c: Colors, empty: string): string {
  if (rows.length === 0) return c.dim(empty);
  return rows
    .map(
      (m) =>
        `${formatMessage(m, c)}${m.direction === 'out' && m.state ? c.dim(` (${m.state}, ${m.id})`) : ''}`,
    )
    .join('\n');
}

export const messageCommands = group(
  ['send', 'chat', 'pending', 'history', 'outbox', 'retry', 'drop'],
  (g, io) => {
    const c = io.colors;
    return {
      send: {
        help: 'Send a message: .send <target> <text>  (target: "ip:port" or a peer name)',
        async action(args) {
          const [target, text] = splitFirst(args);
          if (!target || !text) throw usage('.send <target> <text>');
          const result = await g.send(target, text);
          if (result.state === 'failed')
            io.print(c.red(`not sent to ${result.to}: ${result.error ?? 'failed'}`));
          else io.print(`${c.green(result.state)} to ${result.to} (${result.protocol})`);
          return result;
        },
      },
      chat: {
        help: 'Chat with a peer: .chat <target>  (each line is sent; .exit or Ctrl-D leaves)',
        async action(args) {
          const [target = ''] = words(args, '.chat <target>', 1);
          await g.chat(target);
        },
      },
      pending: {
        help: 'Show (and clear) the messages held back during chat mode',
        action() {
          const msgs = g.pending();
          io.print(
            msgs.length ? msgs.map((m) => formatMessage(m, c)).join('\n') : c.dim('no pending messages'),
          );
          return msgs;
        },
      },
      history: {
        help: `Show stored messages: ${HISTORY_ARGS.usage} (the last ${HISTORY_LIMIT})`,
        action(args) {
          const { values, positionals } = parseCommandArgs(args, HISTORY_ARGS);
          let [target, count] = positionals;
          // `.history 5`: a number alone is the limit
          if (count === undefined && target !== undefined && /^\d+$/.test(target))
            [target, count] = [undefined, target];
          if (count !== undefined && values.limit !== undefined)
            throw usage(`${HISTORY_ARGS.usage} (the limit given twice)`);
          const limitText = (values.limit as string | undefined) ?? count;
          const limit = limitText === undefined ? HISTORY_LIMIT : positiveInt(limitText, 'the limit');
          const search = values.search as string | undefined;
          const rows = extra(g, 'history')(target, search === undefined ? { limit } : { limit, search });
          io.print(
            formatStored(
              rows,
              c,
              search === undefined
                ? 'no messages stored'
                : `no stored messages contain "${sanitize(search)}"`,
            ),
          );
          return rows;
        },
      },
      outbox: {
        help: 'Show messages waiting for delivery (.retry <id>, .drop <id>)',
        action() {
          const rows = extra(g, 'outbox')();
          io.print(formatStored(rows, c, 'the outbox is empty'));
          return rows;
        },
      },
      retry: {
        help: 'Send a queued or failed message again now (dials its peer if away): .retry <id>',
        async action(args) {
          const [id = ''] = words(args, '.retry <id>', 1);
          const row = await extra(g, 'retry')(id);
          // a peer that is away is dialled in the background: say so, and what shows when it lands
          const away = row.key !== null && !g.connected().some((p) => p.key === row.key);
          const note = away
            ? c.dim(` (${sanitize(row.from)} is away: dialling it; "delivered" shows once it arrives)`)
            : '';
          io.print(`${c.green(row.state === 'failed' ? 'queued' : 'retrying')} ${id}${note}`);
          return row;
        },
      },
      drop: {
        help: 'Remove a message from the outbox: .drop <id>',
        async action(args) {
          const [id = ''] = words(args, '.drop <id>', 1);
          const done = await extra(g, 'drop')(id);
          io.print(done ? `dropped ${id}` : c.dim(`no message ${id} in the outbox`));
          return done;
        },
      },
    };
  },
);
