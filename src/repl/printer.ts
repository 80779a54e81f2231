/**
 * Prints messages and events above the prompt without breaking the line being typed.
 * Node's repl has no public API for this; readline's own redraw (`prompt(true)`) keeps the
 * current input and cursor, so the printer erases the prompt rows, writes, and asks for a redraw.
 */
import { clearScreenDown, cursorTo, moveCursor } from 'node:readline';
import type { Writable } from 'node:stream';
import type { Warning } from '../errors.js';
import type { PeerApi, PeerEvents } from '../peer/api.js';
import type { ChatMessage, DisconnectReason, PeerInfo } from '../types.js';
import {
  type Colors,
  createColors,
  formatConnected,
  formatDelivered,
  formatDisconnected,
  formatDiscovered,
  formatError,
  formatFailed,
  formatMessage,
  formatSent,
  formatText,
  formatWarning,
  now,
} from './format.js';

/** What the printer needs from a readline Interface (a REPLServer is one). */
export interface PromptLine {
  readonly line: string;
  getCursorPos(): { rows: number; cols: number };
  prompt(preserveCursor?: boolean): void;
  /** Private readline field: rows between the prompt start and the cursor at the last redraw. */
  prevRows?: number;
}

export interface PrinterOptions {
  output: Writable;
  color: boolean;
  /** Redraw the prompt after printing (a terminal); otherwise lines are just written. */
  terminal: boolean;
  /**
   * error: messages and errors only; warn: and warnings; info: and peer events. Messages,
   * results and errors are always printed. @default 'info'
   */
  logLevel?: LogLevel;
}

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
const LEVELS: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

export class Printer {
  readonly colors: Colors;
  private readonly output: Writable;
  private readonly terminal: boolean;
  private rl: PromptLine | null = null;
  private promptVisible = false;
  private readonly level: number;

  constructor(opts: PrinterOptions) {
    this.level = LEVELS[opts.logLevel ?? 'info'];
    this.output = opts.output;
    this.terminal = opts.terminal;
    this.colors = createColors(opts.color);
  }

  /** Attach the prompt to redraw (or detach with null). */
  attach(rl: PromptLine | null): void {
    this.rl = rl;
  }

  /** Whether the prompt is on screen: while a line is evaluated there is nothing to redraw. */
  setPromptVisible(visible: boolean): void {
    this.promptVisible = visible;
  }

  /** Print one or more lines above the prompt. */
  print(text: string): void {
    if (this.output.writableEnded || this.output.destroyed) return;
    const rl = this.rl;
    if (!rl || !this.terminal || !this.promptVisible) {
      this.output.write(`${text}\n`);
      return;
    }
    // erase every row of the prompt + input, starting from the row the cursor is on
    const { rows } = rl.getCursorPos();
    if (rows > 0) moveCursor(this.output, 0, -rows);
    cursorTo(this.output, 0);
    clearScreenDown(this.output);
    this.output.write(`${text}\n`);
    // the cursor now sits where the prompt starts, so readline must not move up again
    if (typeof rl.prevRows === 'number') rl.prevRows = 0;
    rl.prompt(true);
  }

  message(msg: ChatMessage): void {
    this.print(formatMessage(msg, this.colors));
  }

  /** `back`: a known contact returning. */
  connected(peer: PeerInfo, back = false): void {
    if (this.level < LEVELS.info) return;
    this.print(formatConnected(peer, this.colors, back));
  }

  disconnected(peer: PeerInfo, reason: DisconnectReason): void {
    if (this.level < LEVELS.info) return;
    this.print(formatDisconnected(peer, reason, this.colors));
  }

  discovered(peer: PeerInfo): void {
    if (this.level < LEVELS.info) return;
    this.print(formatDiscovered(peer, this.colors));
  }

  /** One's own sent message with its delivery state (sent, acked, queued, failed). */
  sent(msg: ChatMessage, state: string, error?: string): void {
    this.print(formatSent(msg, state, error, this.colors));
  }

  delivered(msg: ChatMessage): void {
    this.print(formatDelivered(msg, this.colors));
  }

  failed(msg: ChatMessage, error: string): void {
    this.print(formatFailed(msg, error, this.colors));
  }

  warning(w: Warning): void {
    if (this.level < LEVELS.warn) return;
    this.print(formatWarning(w, this.colors));
  }

  info(text: string): void {
    this.print(this.colors.dim(text));
  }

  /** A plugin's `api.log` line, shown when --log-level lets its level through. */
  log(level: LogLevel, message: string): void {
    if (LEVELS[level] > this.level) return;
    const c = this.colors;
    const paint = level === 'error' ? c.red : level === 'warn' ? c.yellow : c.dim;
    this.print(`${now(c)} ${paint(level)} ${formatText(message)}`);
  }

  error(err: unknown): void {
    this.print(this.colors.red(`error ${formatError(err)}`));
  }
}

export interface AttachPrinterOptions {
  /** Whether a message is shown now (chat mode holds the others). @default every message */
  shows?(msg: ChatMessage): boolean;
  /** Where warnings go. @default the same printer */
  warnings?: Printer;
  /** Where peer events (connected, discovered, ...) go. @default the same printer */
  events?: Printer;
  /**
   * Echo one's own sent messages into the transcript with their delivery state, and a line when a
   * queued one is delivered later (`message-delivered`). @default false
   */
  echo?: boolean;
}

/** Whether the contact book knows this peer already (by key; a keyless classic peer by address). */
function isContact(peer: PeerApi, p: PeerInfo): boolean {
  // asked by key or address: an index lookup, not the whole book, on every connect
  return peer
    .contacts(p.key ?? p.address)
    .some((c) => (p.key ? c.key === p.key : c.key === null && c.addresses.includes(p.address)));
}

/** Print the peer's incoming messages and events. Returns the function that unsubscribes. */
export function attachPrinter(peer: PeerApi, printer: Printer, opts: AttachPrinterOptions = {}): () => void {
  const warnings = opts.warnings ?? printer;
  const events = opts.events ?? printer;
  const handlers: { [E in keyof PeerEvents]?: (...args: PeerEvents[E]) => void } = {
    message: (msg) => {
      if (msg.direction === 'out' || (opts.shows && !opts.shows(msg))) return;
      printer.message(msg);
    },
    'peer-connected': (p) => events.connected(p, isContact(peer, p)),
    'peer-disconnected': (p, reason) => events.disconnected(p, reason),
    // a known contact coming back is not news of a peer: its "is back" line follows
    'peer-discovered': (p) => {
      if (!(p.connected && isContact(peer, p))) events.discovered(p);
    },
    'message-failed': (msg, error) => events.failed(msg, error),
    'message-delivered': (msg) => events.delivered(msg),
    // an expired message already has its "not delivered" line (message-failed): one line, not two
    warning: (w) => {
      if (w.code !== 'ERR_MESSAGE_EXPIRED') warnings.warning(w);
    },
  };
  if (opts.echo) {
    handlers.sent = (msg, result) => printer.sent(msg, result.state, result.error);
  }
  for (const [event, fn] of Object.entries(handlers)) peer.on(event as keyof PeerEvents, fn as never);
  return () => {
    for (const [event, fn] of Object.entries(handlers)) peer.off(event as keyof PeerEvents, fn as never);
  };
}
