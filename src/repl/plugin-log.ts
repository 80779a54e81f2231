/**
 * Plugin log lines (`api.log.*`) on their way to the printer. Plugins log during setup, before
 * the REPL or script has a printer, so lines are held until one attaches.
 */
import type { LogLevel } from './printer.js';

const MAX_HELD = 200; // a plugin that logs in a loop before the REPL starts must not grow this forever

export type LogSink = (level: LogLevel, message: string) => void;

export class LogRelay {
  #held: [LogLevel, string][] = [];
  #sink: LogSink | null = null;
  readonly #fallback: LogSink;

  /** `fallback` gets the lines that arrive after the printer detached (at shutdown). */
  constructor(fallback: LogSink = () => {}) {
    this.#fallback = fallback;
  }

  /** Pass as PluginHost's `log` option. */
  readonly log: LogSink = (level, message) => {
    if (this.#sink) this.#sink(level, message);
    else if (this.#held.length < MAX_HELD) this.#held.push([level, message]);
  };

  /** Send lines to `sink`, the held ones first. Returns the function that detaches it. */
  attach(sink: LogSink): () => void {
    this.#sink = sink;
    for (const [level, message] of this.#held.splice(0)) sink(level, message);
    return () => {
      if (this.#sink === sink) this.#sink = this.#fallback;
    };
  }
}
