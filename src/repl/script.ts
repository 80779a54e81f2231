/**
 * Script mode: stdin lines (when stdin is not a TTY), --eval code and `peerchat run <file>`.
 * Inputs run strictly in order, each awaited before the next starts; nothing here exits the
 * process: each entry resolves to an exit code and the caller shuts the peer down.
 */

import { Console } from 'node:console';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { inspect } from 'node:util';
import { PeerchatError, type Warning } from '../errors.js';
import { ChatState, chatSend, enteredText, leftText } from './chat.js';
import {
  buildCommands,
  isProse,
  parseCommandLine,
  type ReplCommand,
  SEND_HINT,
  unknownCommandMessage,
} from './commands.js';
import { createEvaluator, type Evaluator } from './evaluate.js';
import { formatError } from './format.js';
import { createPeerGlobal, type PeerGlobal } from './global.js';
import { attachJson, JsonWriter } from './json.js';
import type { SurfaceOptions } from './options.js';
import { attachPrinter, Printer } from './printer.js';

const EXIT_ERROR = 1; // an uncaught error in a script
const EXIT_USAGE = 2; // a `run` script that cannot load, or has no default export (as a bad plugin)
const INSPECT_DEPTH = 4;
// repl commands that make no sense without a terminal
const INTERACTIVE_ONLY = new Set(['break', 'clear', 'editor', 'load', 'save']);

export interface ScriptOptions extends SurfaceOptions {
  /** stdout: NDJSON in --json mode, else results and incoming messages. */
  output: Writable;
  /** stderr: one-line errors and warnings; all human text in --json mode. */
  errorOutput: Writable;
  /** @default false */
  color?: boolean;
}

export interface RunScriptOptions extends ScriptOptions {
  input: Readable;
  /** Name used in error messages. @default 'stdin' */
  filename?: string;
}

type Outcome = { kind: 'eval' | 'command' | 'send' | 'none'; value?: unknown };

/** The `peer` global, evaluator, printers and NDJSON writer shared by the three entries. */
class ScriptSession {
  readonly chat: ChatState;
  readonly global: PeerGlobal;
  readonly evaluator: Evaluator;
  readonly commands: Map<string, ReplCommand>;
  /** Set by `peer.quit(code)` or `.exit`: stop after the current input. */
  stopCode: number | null = null;
  private readonly human: Printer;
  private readonly errors: Printer;
  private readonly writer: JsonWriter | null;
  private readonly detach: (() => void)[] = [];

  constructor(private readonly opts: ScriptOptions) {
    const color = opts.color ?? false;
    const humanOut = opts.json ? opts.errorOutput : opts.output;
    this.human = new Printer({ output: humanOut, color, terminal: false, logLevel: opts.logLevel });
    this.errors = new Printer({ output: opts.errorOutput, color, terminal: false, logLevel: opts.logLevel });
    this.writer = opts.json ? new JsonWriter(opts.output) : null;
    this.chat = new ChatState(opts.peer);
    this.global = createPeerGlobal(opts.peer, {
      chat: (target) => {
        this.human.info(enteredText(this.chat.enter(target)));
      },
      quit: async (code = 0) => {
        this.stopCode = code;
      },
      helpers: opts.helpers,
      extra: opts.extra,
      takePending: () => this.chat.takePending(),
      onListenerError: (err, event) => this.report(err, `peer.on('${event}') listener`),
    });
    this.commands = buildCommands(
      this.global,
      { print: (text) => this.human.print(text), colors: this.human.colors },
      opts.commands,
      (w) => this.warn(w),
    );
    this.evaluator = createEvaluator({
      globals: { peer: this.global },
      stdout: humanOut,
      stderr: opts.errorOutput,
    });
    if (opts.logs) this.detach.push(opts.logs.attach((level, message) => this.errors.log(level, message)));
    if (this.writer) this.detach.push(attachJson(opts.peer, this.writer, { announce: opts.announce }));
    else {
      this.detach.push(
        // stdout keeps results and messages; progress (connected, discovered, ...) goes to stderr
        attachPrinter(opts.peer, this.human, {
          shows: (m) => this.chat.shows(m),
          warnings: this.errors,
          events: this.errors,
        }),
      );
    }
  }

  /** Run opts.ready (autoConnect, plugins' onStart); false when it threw (already reported). */
  async ready(): Promise<boolean> {
    try {
      await this.opts.ready?.();
      return true;
    } catch (err) {
      this.report(err, 'start');
      return false;
    }
  }

  /** Run one input and show its result; false when it threw (already reported). */
  async run(code: string, where: string): Promise<boolean> {
    try {
      const outcome = await this.input(code);
      this.show(outcome);
      return true;
    } catch (err) {
      this.report(err, where);
      return false;
    }
  }

  private async input(code: string): Promise<Outcome> {
    const cmd = parseCommandLine(code);
    const target = this.chat.target;
    if (cmd) return this.command(cmd.name, cmd.args);
    if (target) {
      if (code.trim() === '') return { kind: 'none' };
      return { kind: 'send', value: await chatSend(this.global, target, code) };
    }
    if (code.trim() === '') return { kind: 'none' };
    try {
      return { kind: 'eval', value: await this.evaluator.evaluate(code) };
    } catch (err) {
      if (isProse(err, code)) {
        const Kind = (err as Error).name === 'SyntaxError' ? SyntaxError : ReferenceError;
        throw new Kind(`${(err as Error).message} (${SEND_HINT})`, { cause: err });
      }
      throw err;
    }
  }

  private async command(name: string, args: string): Promise<Outcome> {
    if (name === 'exit') {
      const pending = this.chat.leave();
      if (pending === null) this.stopCode = 0;
      else this.human.info(leftText(pending));
      return { kind: 'none' };
    }
    if (name === 'help') {
      const names = [...this.commands.keys(), 'exit', 'help'].sort();
      this.human.print(
        names.map((n) => `.${n.padEnd(12)} ${this.commands.get(n)?.help ?? builtinHelp(n)}`).join('\n'),
      );
      return { kind: 'none' };
    }
    const command = this.commands.get(name);
    if (!command) {
      if (INTERACTIVE_ONLY.has(name))
        throw new PeerchatError('ERR_USAGE', `.${name} needs an interactive terminal`);
      throw new PeerchatError(
        'ERR_USAGE',
        unknownCommandMessage(name, [...this.commands.keys(), 'exit', 'help']),
      );
    }
    return { kind: 'command', value: await command.action(args) };
  }

  private show({ kind, value }: Outcome): void {
    if (kind === 'none') return;
    if (this.writer) {
      this.writer.result(value);
      return;
    }
    // commands and chat lines print their own text
    if (kind === 'eval' && value !== undefined) {
      this.opts.output.write(
        `${inspect(value, { colors: this.opts.color ?? false, depth: INSPECT_DEPTH })}\n`,
      );
    }
  }

  report(err: unknown, where: string): void {
    this.opts.errorOutput.write(`peerchat: ${where}: ${formatError(err)}\n`);
    this.writer?.error(err);
  }

  warn(w: Warning): void {
    if (this.writer) this.writer.warning(w);
    else this.errors.warning(w);
  }

  close(): void {
    const pending = this.chat.leave();
    if (pending) this.human.info(leftText(pending));
    for (const off of this.detach.splice(0)) off();
  }
}

function builtinHelp(name: string): string {
  return name === 'exit' ? 'Leave chat mode, or end the script' : 'List the commands';
}

/**
 * Evaluate `input` line by line, in order, each awaited (top-level await included) before the
 * next starts. A line that leaves a bracket or template open continues on the next one.
 * Resolves to the exit code once the last input is done: 0, the code given to `peer.quit(code)`,
 * or 1 after the first uncaught error (which stops the script).
 */
export async function runScript(opts: RunScriptOptions): Promise<number> {
  const session = new ScriptSession(opts);
  const filename = opts.filename ?? 'stdin';
  // before the reader exists: lines read while nothing iterates it would be lost
  if (!(await session.ready())) {
    session.close();
    return EXIT_ERROR;
  }
  const rl = createInterface({ input: opts.input, crlfDelay: Number.POSITIVE_INFINITY, terminal: false });
  let code = 0;
  let buffer: string | null = null;
  let lineNo = 0;
  let startLine = 0;
  try {
    for await (const line of rl) {
      lineNo++;
      if (buffer === null) startLine = lineNo;
      const text: string = buffer === null ? line : `${buffer}\n${line}`;
      const plain = session.chat.target === null && parseCommandLine(text) === null;
      if (plain && session.evaluator.isIncomplete(text)) {
        buffer = text;
        continue;
      }
      buffer = null;
      if (!(await session.run(text, `${filename}:${startLine}`))) {
        code = EXIT_ERROR;
        break;
      }
      if (session.stopCode !== null) break;
    }
    // input ended inside an open bracket: evaluating it reports the syntax error
    if (buffer !== null && code === 0 && !(await session.run(buffer, `${filename}:${startLine}`)))
      code = EXIT_ERROR;
  } finally {
    rl.close();
    session.close();
  }
  return code === 0 ? (session.stopCode ?? 0) : code;
}

/** `--eval <code>`: one input with `peer` in scope. Resolves to the exit code. */
export async function evalCode(code: string, opts: ScriptOptions): Promise<number> {
  const session = new ScriptSession(opts);
  try {
    if (!(await session.ready()) || !(await session.run(code, '--eval'))) return EXIT_ERROR;
    return session.stopCode ?? 0;
  } finally {
    session.close();
  }
}

/**
 * `peerchat run <file> [-- args]`: import the module and await its default export called with
 * `peer` and the arguments. With --json, the script's console writes to stderr, as with -e,
 * so stdout stays NDJSON.
 */
export async function runModule(file: string, opts: ScriptOptions, args: string[] = []): Promise<number> {
  const session = new ScriptSession(opts);
  const realConsole = globalThis.console;
  if (opts.json) globalThis.console = new Console({ stdout: opts.errorOutput, stderr: opts.errorOutput });
  try {
    await opts.ready?.();
    let mod: { default?: unknown };
    try {
      mod = await import(pathToFileURL(resolve(file)).href);
    } catch (err) {
      session.report(
        new PeerchatError('ERR_USAGE', `cannot load ${file}: ${formatError(err)}`, { cause: err }),
        file,
      );
      return EXIT_USAGE;
    }
    const main = mod.default;
    if (typeof main !== 'function') {
      session.report(
        new PeerchatError('ERR_USAGE', `${file} must have a default export function (peer) => ...`),
        file,
      );
      return EXIT_USAGE;
    }
    const value = await main(session.global, [...args]);
    if (opts.json) new JsonWriter(opts.output).result(value);
    else if (value !== undefined) opts.output.write(`${inspect(value, { depth: INSPECT_DEPTH })}\n`);
    return session.stopCode ?? 0;
  } catch (err) {
    session.report(err, file);
    return EXIT_ERROR;
  } finally {
    globalThis.console = realConsole;
    session.close();
  }
}
