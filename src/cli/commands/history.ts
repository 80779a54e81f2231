import type { CommandModule } from 'yargs';
import { PeerchatError } from '../../errors.js';
import type { StoredMessage } from '../../store/store.js';
import type { GlobalArgs } from '../context.js';
import { loadForCommand, roomFilter } from '../context.js';

const DEFAULT_LIMIT = 100;
const NAME_PAGE = 500; // rows read per step when filtering by name (keeps memory bounded)
const KEY_RE = /^[0-9a-f]{64}$/i;

interface HistoryArgs extends GlobalArgs {
  target?: string;
  limit: number;
  search?: string;
}

/** How a target selects rows: by address or key (the store matches both), or by the stored name. */
export type TargetFilter = { peer: string } | { name: string };

export async function targetFilter(target: string): Promise<TargetFilter> {
  const t = target.trim();
  if (KEY_RE.test(t)) return { peer: t.toLowerCase() };
  const { parseAddress, formatAddress } = await import('../../net/address.js');
  const a = parseAddress(t);
  // the store keeps addresses as the peer formats them ("[::1]:5000", IPv4-mapped prefix stripped)
  if (a) return { peer: formatAddress(a.host, a.port) };
  return { name: t };
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** Local "YYYY-MM-DD HH:MM:SS". */
export function formatDateTime(ts: number): string {
  const d = new Date(ts);
  return (
    `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ` +
    `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`
  );
}

/**
 * `[2025-01-02 03:04:05] -> 127.0.0.1:5001 bob (3f2a:91c0:7be4:d215): text (acked)`: `->` sent, `<-` received;
 * a classic message is marked (unverified); outgoing rows end with their delivery state.
 */
export function formatHistoryLine(
  m: StoredMessage,
  sanitize: (s: string) => string,
  short: (fp: string) => string,
): string {
  const arrow = m.direction === 'out' ? '->' : '<-';
  const trust = m.verified && m.fingerprint ? `(${short(m.fingerprint)})` : '(unverified)';
  const name = m.name === null ? '?' : sanitize(m.name);
  let state = '';
  if (m.direction === 'out') state = m.error ? ` (${m.state}: ${sanitize(m.error)})` : ` (${m.state})`;
  return `[${formatDateTime(m.ts)}] ${arrow} ${m.from} ${name} ${trust}: ${sanitize(m.text)}${state}`;
}

export const historyCommand: CommandModule<GlobalArgs, HistoryArgs> = {
  command: 'history [target]',
  describe: 'Print stored messages, oldest first (works while the peer runs)',
  builder: (y) =>
    y
      .positional('target', {
        type: 'string',
        describe: 'Only messages with this peer: "ip:port", hex key or peer name',
      })
      .option('limit', {
        type: 'number',
        default: DEFAULT_LIMIT,
        describe: 'Show the newest N matching messages',
      })
      .option('search', { type: 'string', describe: 'Only messages whose text contains this (any case)' })
      .example('$0 history 192.168.1.20:5000 --limit 20', 'The last 20 messages with that peer')
      .example('$0 history --room team', 'What was said in the room team')
      .example('$0 history --search lunch --json', 'Matching messages as NDJSON')
      .epilogue(
        'Lines: [time] -> peer (sent) or <- peer (received), name, fingerprint or (unverified), text, and the ' +
          'delivery state of sent messages.\n--json: one NDJSON line per message, oldest first, with "type": ' +
          '"message" and the fields id, direction, peer, name, key, fingerprint, text, protocol, verified, ts, ' +
          'state, error, createdAt, updatedAt (docs/storage.md), and room for a room message; "from" is kept as ' +
          'another name for "peer". ' +
          'Nothing is printed when nothing matches.',
      ),
  handler: async (argv) => {
    const { io } = argv.ctx;
    const limit = argv.limit;
    if (!Number.isInteger(limit) || limit < 1) {
      throw new PeerchatError(
        'ERR_USAGE',
        `--limit must be a whole number of 1 or more${Number.isNaN(limit) ? '; what was given is not a number' : `, not ${limit}`}`,
      );
    }
    const search = argv.search === undefined ? undefined : String(argv.search);
    const room = roomFilter(argv.room);
    const target = argv.target === undefined ? undefined : String(argv.target);
    if (target !== undefined && target.trim() === '') {
      throw new PeerchatError('ERR_USAGE', 'the target is empty: give "ip:port", a hex key or a peer name');
    }
    const { config } = await loadForCommand(argv, false);
    const { openStoreReadonly, noStoreHint, tolerateClosedStdout } = await import('../read-store.js');
    const { store, path, exists } = openStoreReadonly(config, 'history');
    let rows: StoredMessage[];
    try {
      if (!exists) {
        io.stderr.write(noStoreHint(path));
        return;
      }
      const filter = target === undefined ? null : await targetFilter(target);
      rows =
        filter && 'name' in filter
          ? byName(store, filter.name, limit, search)
          : store.history({ peer: filter?.peer, limit, search, ...(room === undefined ? {} : { room }) });
    } finally {
      await store.close();
    }
    tolerateClosedStdout(io);
    if (argv.json) {
      io.stdout.write(rows.map((m) => `${JSON.stringify(historyRecord(m))}\n`).join(''));
    } else {
      const { sanitize, shortFingerprint } = await import('../../repl/format.js');
      io.stdout.write(rows.map((m) => `${formatHistoryLine(m, sanitize, shortFingerprint)}\n`).join(''));
    }
    if (rows.length === 0 && (target !== undefined || search !== undefined || room !== undefined)) {
      const what = [
        target === undefined ? null : `peer "${target}"`,
        room === undefined ? null : `room "${room}"`,
        search === undefined ? null : `text "${search}"`,
      ];
      io.stderr.write(`peerchat: no stored messages match ${what.filter(Boolean).join(' and ')}\n`);
    }
  },
};

/**
 * One NDJSON line: the message fields under the names docs/storage.md lists. `peer` is the other
 * side for both directions; `from` (the same value, though a sent row's recipient) stays for old scripts.
 */
export function historyRecord(m: StoredMessage): Record<string, unknown> {
  const { id, direction, from, name, key, fingerprint, text, protocol, verified, ts } = m;
  const { state, error, createdAt, updatedAt } = m;
  return {
    type: 'message',
    id,
    direction,
    peer: from,
    name,
    key,
    fingerprint,
    text,
    protocol,
    verified,
    ts,
    state,
    error,
    createdAt,
    updatedAt,
    from,
    ...(m.room === undefined ? {} : { room: m.room }),
  };
}

type HistoryReader = { history(opts: { limit: number; before?: string; search?: string }): StoredMessage[] };

/** The newest `limit` rows whose name is `name`, walking back a page at a time. */
function byName(store: HistoryReader, name: string, limit: number, search?: string): StoredMessage[] {
  let found: StoredMessage[] = [];
  let before: string | undefined;
  for (;;) {
    const page = store.history({ limit: NAME_PAGE, before, search });
    found = page.filter((m) => m.name === name).concat(found);
    if (found.length >= limit || page.length < NAME_PAGE) break;
    before = page[0]!.id;
  }
  return found.slice(-limit);
}
