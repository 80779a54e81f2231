/** Text shown to people: timestamps, messages, peer lines, one-line errors. Pure functions. */
import pc from 'picocolors';
import type { Warning } from '../errors.js';
import { sanitize } from '../sanitize.js';
import type { ChatMessage, DisconnectReason, PeerInfo } from '../types.js';

export type Colors = ReturnType<typeof pc.createColors>;

// all 4 groups (64 bits): fewer could be matched by a key ground out for the purpose (docs/security.md)
const FINGERPRINT_GROUPS_SHOWN = 4;
const MAX_ERROR_CHARS = 500; // a one-line error stays one screen line or two

/** Colour formatters, all identity functions when `enabled` is false. */
export function createColors(enabled: boolean): Colors {
  return pc.createColors(enabled);
}

export interface ColorChoice {
  /** The --color / --no-color flag; only `false` counts (a boolean default of true must not force colour). */
  flag?: boolean;
  env?: NodeJS.ProcessEnv;
  stream?: { isTTY?: boolean };
}

/** Colour is on for a TTY, off with NO_COLOR (https://no-color.org), --no-color or TERM=dumb; FORCE_COLOR forces it. */
export function shouldUseColor({ flag, env = process.env, stream = process.stdout }: ColorChoice): boolean {
  if (flag === false) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false') return true;
  return Boolean(stream.isTTY) && env.TERM !== 'dumb';
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** Local wall-clock "HH:MM:SS". */
export function formatTime(ts: number): string {
  const d = new Date(Number.isFinite(ts) && ts > 0 ? ts : Date.now());
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

/** Names and texts come from the network: one sanitizer (src/sanitize.ts) shows their controls escaped. */
export { sanitize };

export function shortFingerprint(fp: string): string {
  const groups = fp.split(':');
  if (groups.length <= FINGERPRINT_GROUPS_SHOWN) return fp;
  return `${groups.slice(0, FINGERPRINT_GROUPS_SHOWN).join(':')}…`;
}

/** `[12:03:04] 127.0.0.1:5001 alice (3f2a:91c0:7be4:d215): hello`, or `(unverified)` for classic senders. */
export function formatMessage(msg: ChatMessage, c: Colors): string {
  const time = c.dim(`[${formatStamp(msg.ts)}]`); // with the date when not from today
  const name = c.bold(sanitize(msg.name ?? '?'));
  const trust =
    msg.verified && msg.fingerprint
      ? c.green(`(${shortFingerprint(msg.fingerprint)})`)
      : c.yellow('(unverified)');
  const arrow = msg.direction === 'out' && !msg.room ? `${c.dim('to')} ` : '';
  // a room message that arrived by catch-up, not live
  const late = msg.late ? ` ${c.dim('(late)')}` : '';
  return `${time} ${arrow}${c.cyan(msg.from)} ${name} ${trust}${late}: ${formatText(msg.text)}`;
}

function peerLabel(p: PeerInfo, c: Colors): string {
  return p.name ? `${c.bold(sanitize(p.name))} ${c.cyan(p.address)}` : c.cyan(p.address);
}

/** The current time as a dim `[HH:MM:SS]` prefix. */
export function now(c: Colors): string {
  return c.dim(`[${formatTime(Date.now())}]`);
}

/** A session opened; `back`: with a known contact (met before), which reads as it returning. */
export function formatConnected(p: PeerInfo, c: Colors, back = false): string {
  const how = [p.protocol ?? 'unknown', p.fingerprint ? shortFingerprint(p.fingerprint) : null]
    .filter(Boolean)
    .join(', ');
  return `${now(c)} ${c.green('+')} ${peerLabel(p, c)} ${back ? 'is back' : 'connected'} (${how})`;
}

export function formatDisconnected(p: PeerInfo, reason: DisconnectReason, c: Colors): string {
  return `${now(c)} ${c.red('-')} ${peerLabel(p, c)} disconnected (${reason})`;
}

export function formatDiscovered(p: PeerInfo, c: Colors): string {
  return `${now(c)} ${c.dim('*')} discovered ${peerLabel(p, c)}`;
}

const FAILED_TEXT_CHARS = 40; // enough of the text to recognise which message failed

/** One's own sent line, as in a chat client: the message, then its delivery state. */
export function formatSent(msg: ChatMessage, state: string, error: string | undefined, c: Colors): string {
  const mark =
    state === 'acked'
      ? c.green('✓ acked')
      : state === 'failed'
        ? c.red(`✗ failed${error ? `: ${oneLine(error)}` : ''}`)
        : state === 'queued'
          ? c.yellow('… queued')
          : c.dim(state);
  return `${formatMessage(msg, c)}  ${mark}`;
}

/** `12:00:01 ✓ delivered to bob: hello the…` (a message that waited in the outbox). */
export function formatDelivered(msg: ChatMessage, c: Colors): string {
  const who = msg.name ? sanitize(msg.name) : msg.from;
  return `${now(c)} ${c.green('✓')} delivered to ${c.cyan(who)}: ${shortText(msg.text)}`;
}

function shortText(raw: string): string {
  const text = sanitize(raw);
  return text.length > FAILED_TEXT_CHARS ? `${text.slice(0, FAILED_TEXT_CHARS)}…` : text;
}

export function formatFailed(msg: ChatMessage, error: string, c: Colors): string {
  const short = shortText(msg.text);
  return `${now(c)} ${c.red('!')} not delivered to ${c.cyan(msg.from)} (${JSON.stringify(short)}): ${oneLine(error)}`;
}

export function formatWarning(w: Warning, c: Colors): string {
  return `${now(c)} ${c.yellow(`warning ${w.code}`)}: ${oneLine(w.message)}`;
}

/** One row per peer, columns aligned: address, name, state, protocol, fingerprint. */
export function formatPeerTable(peers: readonly PeerInfo[], c: Colors): string {
  const rows = peers.map((p) => [
    p.address,
    sanitize(p.name ?? '-'),
    p.connected ? 'connected' : 'known',
    p.protocol ?? '-',
    p.fingerprint ? shortFingerprint(p.fingerprint) : '-',
  ]);
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) => {
      const [address = '', name = '', state = '', protocol = '', fp = ''] = r;
      const stateText = state.padEnd(widths[2] ?? 0);
      return [
        c.cyan(address.padEnd(widths[0] ?? 0)),
        c.bold(name.padEnd(widths[1] ?? 0)),
        state === 'connected' ? c.green(stateText) : c.dim(stateText),
        protocol.padEnd(widths[3] ?? 0),
        c.dim(fp),
      ].join('  ');
    })
    .join('\n');
}

function oneLine(text: string): string {
  const flat = sanitize(text.replace(/\s*\n\s*/g, ' ').trim());
  return flat.length > MAX_ERROR_CHARS ? `${flat.slice(0, MAX_ERROR_CHARS)}…` : flat;
}

/** What a contact line needs (Contact, with `connected` when the peer knows it). */
export interface ContactLine {
  key: string | null;
  fingerprint: string | null;
  name: string | null;
  addresses: readonly string[];
  firstSeen: number;
  lastSeen: number;
  met: string;
  connected?: boolean;
}

/** One aligned row per contact: name, fingerprint, last address, last seen, how met, connected. */
export function formatContacts(list: readonly ContactLine[], c: Colors, at: number = Date.now()): string {
  const rows = list.map((k) => [
    sanitize(k.name ?? '?'),
    k.fingerprint ?? '(classic)',
    k.addresses[0] ?? '-',
    `seen ${formatStamp(k.lastSeen, at)}`,
    `met ${k.met}`,
  ]);
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r, i) => {
      const [name = '', fp = '', address = '', seen = '', met = ''] = r;
      const state = list[i]?.connected ? ` ${c.green('connected')}` : '';
      return `${c.bold(name.padEnd(widths[0] ?? 0))}  ${c.dim(fp.padEnd(widths[1] ?? 0))}  ${c.cyan(
        address.padEnd(widths[2] ?? 0),
      )}  ${seen.padEnd(widths[3] ?? 0)}  ${met}${state}`;
    })
    .join('\n');
}

/** Everything known about one contact, one field a line. */
export function formatWhois(k: ContactLine, c: Colors, at: number = Date.now()): string {
  return [
    `${c.bold(sanitize(k.name ?? '?'))}${k.connected ? ` ${c.green('connected')}` : ''}`,
    `  key          ${k.key ?? '(none: a classic peer, known by its address)'}`,
    `  fingerprint  ${k.fingerprint ?? '-'}`,
    `  addresses    ${k.addresses.length ? k.addresses.join(', ') : '-'}`,
    `  first seen   ${formatStamp(k.firstSeen, at)}`,
    `  last seen    ${formatStamp(k.lastSeen, at)}`,
    `  met          ${k.met}`,
  ].join('\n');
}

/** Code of a coded error (PeerchatError or a Node system error), else null. Works across vm realms. */
export function errorCode(err: unknown): string | null {
  if (err && typeof err === 'object' && 'code' in err && typeof err.code === 'string') return err.code;
  return null;
}

/** Message of any thrown value; errors from a vm context are not `instanceof Error`, so duck-type. */
export function errorMessage(err: unknown): string {
  if (err && typeof err === 'object' && 'message' in err && typeof err.message === 'string') {
    const name = 'name' in err && typeof err.name === 'string' ? err.name : 'Error';
    const generic = name === 'Error' || name === 'PeerchatError' || errorCode(err) !== null;
    return oneLine(generic ? err.message : `${name}: ${err.message}`);
  }
  return oneLine(String(err));
}

/** "ERR_UNKNOWN_TARGET: no peer matches "bob"" — the one-line form used on stderr. */
export function formatError(err: unknown): string {
  const code = errorCode(err);
  return code ? `${code}: ${errorMessage(err)}` : errorMessage(err);
}

/** `1 peer`, `2 peers`, `0 peers`. */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

/** Local "YYYY-MM-DD". */
function formatDate(d: Date): string {
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}`;
}

/** "HH:MM:SS" for a time today, "YYYY-MM-DD HH:MM:SS" for an older (or later) one. */
export function formatStamp(ts: number, now: number = Date.now()): string {
  const time = formatTime(ts);
  const d = new Date(Number.isFinite(ts) && ts > 0 ? ts : now);
  const day = formatDate(d);
  return day === formatDate(new Date(now)) ? time : `${day} ${time}`;
}

const CONTINUATION_INDENT = '    '; // lines after the first of a message, under the sender

/**
 * A message text over several lines: each line sanitised on its own, the later ones indented so
 * no line of a text can pass for a message of its own.
 */
export function formatText(text: string, indent: string = CONTINUATION_INDENT): string {
  return text
    .split(/\r?\n/)
    .map((line) => sanitize(line))
    .join(`\n${indent}`);
}
