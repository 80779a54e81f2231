/**
 * The interactive REPL (stdin is a TTY): Node's repl with the `peer` global, dot-commands,
 * completion of peer names, history, chat mode and a printer that keeps the typed line intact.
 * Node's repl has no hooks for chat mode, so a few of its instance methods are wrapped
 * (eval, completer, close, displayPrompt); each wrapper falls back to the original.
 */
import { Console } from 'node:console';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import repl, { type REPLEval, type REPLServer } from 'node:repl';
import type { Readable, Writable } from 'node:stream';
import { PeerchatError } from '../errors.js';
import { ChatState, chatSend, enteredText, leftText } from './chat.js';
import { buildCommands, isProse, parseCommandLine, SEND_HINT, unknownCommandMessage } from './commands.js';
import { type Completer, createCompleter } from './completer.js';
import { formatError, sanitize } from './format.js';
import { createPeerGlobal, type PeerGlobal } from './global.js';
import { attachJson, JsonWriter } from './json.js';
import type { SurfaceOptions } from './options.js';
import { attachPrinter, Printer } from './printer.js';
import { TypedCode } from './typed-code.js';

const HISTORY_SIZE = 1000;

export interface StartReplOptions extends SurfaceOptions {
  input: Readable;
  /** stdout: the REPL, or only NDJSON in --json mode. */
  output: Writable;
  /** stderr: the REPL writes here in --json mode. @default process.stderr */
  errorOutput?: Writable;
  /** @default whether the REPL's output stream is a TTY */
  terminal?: boolean;
  color: boolean;
  /** Where history is kept (the data directory); null keeps none. */
  historyFile?: string | null;
  /** @default `${peer.name}> ` */
  prompt?: string;
  /** Ctrl-C twice, Ctrl-D, .quit, .exit, `peer.quit()`: shut down (EXIT to all, then exit). */
  onQuit(code: number): Promise<void>;
  /**
   * Hand the process's last-resort handlers a claimant (cli/fatal.ts): what typed code leaves
   * behind (a throw in its timer, a rejection nobody handles) is printed and the REPL goes on.
   * Returns the unregister function. Without it such an error is left to the process.
   */
  claimUncaught?(claim: (err: unknown) => boolean): () => void;
}

export interface ReplHandle {
  readonly server: REPLServer;
  readonly global: PeerGlobal;
  readonly printer: Printer;
  readonly chat: ChatState;
  enterChat(target: string): void;
  leaveChat(): void;
  /** Close the REPL and call onQuit once (SIGTERM/SIGHUP handlers may call this too). */
  quit(code?: number): Promise<void>;
}

/** The instance members wrapped here; @types/node marks some readonly. */
interface Wrappable {
  eval: REPLEval;
  completer: Completer;
  close(): void;
  displayPrompt(preserveCursor?: boolean): void;
}

type EvalCallback = (err: Error | null, result?: unknown) => void;

/** As Node's REPL says it when Ctrl-C stops an awaited line; the call itself goes on. */
function interrupted(): Error {
  const err = new Error('Script execution was interrupted by `SIGINT`');
  (err as Error & { code: string }).code = 'ERR_SCRIPT_EXECUTION_INTERRUPTED';
  err.stack = `Error [ERR_SCRIPT_EXECUTION_INTERRUPTED]: ${err.message}`;
  return err;
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (
    v !== null &&
    (typeof v === 'object' || typeof v === 'function') &&
    typeof (v as { then?: unknown }).then === 'function'
  );
}

export async function startRepl(opts: StartReplOptions): Promise<ReplHandle> {
  const { peer } = opts;
  const replOut = opts.json ? (opts.errorOutput ?? process.stderr) : opts.output;
  const terminal = opts.terminal ?? Boolean((replOut as { isTTY?: boolean }).isTTY);
  const printer = new Printer({ output: replOut, color: opts.color, terminal, logLevel: opts.logLevel });
  const writer = opts.json ? new JsonWriter(opts.output) : null;
  const chat = new ChatState(peer);
  const basePrompt = opts.prompt ?? `${sanitize(peer.name)}> `;
  const detach: (() => void)[] = [];
  let quitRequested = false;
  let quitting: Promise<void> | null = null;

  const global = createPeerGlobal(peer, {
    chat: (target) => enterChat(target),
    quit: (code) => quit(code),
    helpers: opts.helpers,
    extra: opts.extra,
    takePending: () => chat.takePending(),
    onListenerError: (err, event) =>
      printer.error(new Error(`peer.on('${event}') listener: ${formatError(err)}`)),
  });

  // typed code runs in its own async context, not in a domain (typed-code.ts says why)
  const typed = new TypedCode();
  const unclaim = opts.claimUncaught?.((err) => typed.claim(err));
  if (unclaim) detach.push(unclaim);

  const server = repl.start({
    input: opts.input,
    output: replOut,
    terminal,
    prompt: basePrompt,
    useColors: opts.color,
    ignoreUndefined: true,
    preview: false, // a preview row under the input would go stale when the printer redraws
    // Ctrl-C interrupts a line that awaits (`await peer.ready()`) or loops, as in Node's own REPL
    breakEvalOnSigint: true,
    // historySize is passed on to readline; neither is in @types/node's ReplOptions
    ...{ historySize: HISTORY_SIZE, domain: typed.domain },
  });
  const wrappable = server as unknown as Wrappable;

  function enterChat(target: string): void {
    const info = chat.enter(target);
    server.setPrompt(`chat ${sanitize(info.name ?? info.address)}> `);
    printer.info(enteredText(info));
  }

  function leaveChat(): void {
    const pending = chat.leave();
    if (pending === null) return;
    server.setPrompt(basePrompt);
    printer.info(leftText(pending));
  }

  function quit(code = 0): Promise<void> {
    if (quitting) return quitting;
    quitRequested = true;
    quitting = (async () => {
      chat.leave();
      for (const off of detach.splice(0)) off();
      printer.attach(null);
      origClose.call(server);
      try {
        await opts.onQuit(code);
      } catch (err) {
        replOut.write(`peerchat: ${formatError(err)}\n`);
      }
    })();
    return quitting;
  }

  const reprompt = () => {
    if (!quitRequested) server.displayPrompt();
  };

  // the `peer` global, put back when `.clear` resets the context
  const setupContext = (context: object) => {
    Object.defineProperty(context, 'peer', {
      value: global,
      enumerable: true,
      configurable: true,
      writable: false,
    });
    Object.defineProperty(context, 'console', {
      value: new Console({ stdout: replOut, stderr: opts.errorOutput ?? process.stderr }),
      enumerable: false,
      configurable: true,
      writable: true,
    });
  };
  setupContext(server.context);
  server.on('reset', setupContext);

  /** While a returned promise is awaited: ends the wait (Ctrl-C). */
  let interrupt: (() => void) | null = null;

  // chat mode: a typed line is a message, not code
  const origEval = wrappable.eval;
  wrappable.eval = function chatAwareEval(this: REPLServer, code, context, file, cb) {
    const target = chat.target;
    if (!target) {
      const reply = cb as (...a: unknown[]) => void;
      const settle = (value: unknown) => {
        writer?.result(value);
        reply(null, value);
      };
      // like script mode, a returned promise is awaited: `peer.send(...)` shows its result
      const done: EvalCallback = (...args: [Error | null, unknown?]) => {
        const err = args[0];
        // a line of prose outside chat mode: say how to send it
        if (err && !(err instanceof repl.Recoverable) && isProse(err, code)) {
          const hint = ` (${SEND_HINT})`;
          // a ReferenceError's frames are the REPL's own: one line, as Node shows it without a hint
          err.stack =
            err.name === 'ReferenceError'
              ? `${err.name}: ${err.message}${hint}`
              : String(err.stack).replace(err.message, `${err.message}${hint}`);
          err.message += hint;
        }
        if (args.length !== 2 || err) return reply(...args);
        const value = args[1];
        if (!isThenable(value)) return settle(value);
        // a returned promise (`peer.send(...)` without await) is awaited here: Ctrl-C stops the wait
        let answered = false;
        const once =
          <A extends unknown[]>(fn: (...a: A) => void) =>
          (...a: A) => {
            if (answered) return;
            answered = true;
            interrupt = null;
            fn(...a);
          };
        interrupt = once(() => reply(interrupted()));
        value.then(
          once(settle),
          once((e: unknown) => reply(e)),
        );
      };
      // named: the REPL trims an error's stack at the last frame without a function name
      const evalTyped = () => origEval.call(this, code, context, file, done);
      typed.run(evalTyped);
      return;
    }
    const finish = () => (cb as (err: null) => void)(null); // one argument: the repl prints no result
    const text = code.replace(/\r?\n$/, '');
    if (text.trim() === '') return finish();
    chatSend(global, target, text).then(
      (result) => {
        if (result.state === 'failed')
          printer.error(`not delivered to ${result.to}: ${result.error ?? 'failed'}`);
        writer?.result(result);
        finish();
      },
      (err: unknown) => {
        printer.error(err);
        writer?.error(err);
        finish();
      },
    );
  };

  // `.sned`: Node would say "Invalid REPL keyword"; name the command meant instead
  const origEmit = server.emit;
  server.emit = function unknownCommandAwareEmit(
    this: REPLServer,
    event: string | symbol,
    ...args: unknown[]
  ) {
    if (event === 'SIGINT' && interrupt) {
      // not the REPL's own handler: it would take this Ctrl-C as the first of two that quit
      interrupt();
      return true;
    }
    if (event === 'line' && typeof args[0] === 'string') {
      const cmd = parseCommandLine(args[0]);
      const known = (this as unknown as { commands: Record<string, unknown> }).commands;
      if (cmd && !bufferedInput(this) && !Object.hasOwn(known, cmd.name)) {
        printer.setPromptVisible(false);
        printer.error(new PeerchatError('ERR_USAGE', unknownCommandMessage(cmd.name, Object.keys(known))));
        reprompt();
        return true;
      }
    }
    return (origEmit as (e: string | symbol, ...a: unknown[]) => boolean).call(this, event, ...args);
  } as typeof server.emit;

  // Ctrl-D, `.exit` and a second Ctrl-C all close the interface: in chat mode they leave it instead
  const origClose = wrappable.close;
  wrappable.close = function chatAwareClose(this: REPLServer) {
    if (chat.target && !quitRequested && !opts.input.readableEnded) {
      // readline has already moved past the prompt line (Ctrl-D writes a newline): no redraw
      printer.setPromptVisible(false);
      leaveChat();
      reprompt();
      return;
    }
    origClose.call(this);
  };

  // peer names and addresses inside arguments; nothing in chat mode (the default would eval the line)
  const peerCompleter = createCompleter(peer, wrappable.completer.bind(server));
  wrappable.completer = (line, cb) => {
    if (chat.target) cb(null, [[], line]);
    else peerCompleter(line, cb);
  };

  // the printer redraws the prompt only while it is on screen
  const origDisplayPrompt = wrappable.displayPrompt;
  wrappable.displayPrompt = function trackedDisplayPrompt(this: REPLServer, preserveCursor?: boolean) {
    printer.setPromptVisible(true);
    origDisplayPrompt.call(this, preserveCursor);
  };
  server.prependListener('line', () => printer.setPromptVisible(false));
  printer.attach(server);
  printer.setPromptVisible(true);

  const commands = buildCommands(
    global,
    { print: (text) => printer.print(text), colors: printer.colors },
    opts.commands,
    (w) => printer.warning(w),
  );
  for (const [name, cmd] of commands) {
    server.defineCommand(name, {
      help: cmd.help,
      action(args: string) {
        Promise.resolve()
          .then(() => cmd.action(args.trim()))
          .then(
            (value) => writer?.result(value),
            (err: unknown) => {
              printer.error(err);
              writer?.error(err);
            },
          )
          .finally(reprompt);
      },
    });
  }

  detach.push(attachPrinter(peer, printer, { shows: (msg) => chat.shows(msg), echo: true }));
  if (opts.logs) detach.push(opts.logs.attach((level, message) => printer.log(level, message)));
  if (writer) detach.push(attachJson(peer, writer, { announce: opts.announce }));
  const stderr = opts.errorOutput ?? process.stderr;
  if (terminal && !opts.json && (stderr as { isTTY?: boolean }).isTTY)
    detach.push(routeThrough(stderr, printer));
  server.on('exit', () => void quit(0));

  if (opts.historyFile) await setupHistory(server, opts.historyFile, printer);
  // the prompt is up: autoConnect's connections and the plugins' onStart show as they happen
  await opts.ready?.();

  return { server, global, printer, chat, enterChat, leaveChat, quit };
}

/**
 * Text a plugin (notify) or a library writes to stderr while the prompt is on the same terminal
 * goes through the printer, above the prompt, instead of into the line being typed. A bell
 * alone moves nothing and is written as it is. Returns the function that restores `stream`.
 */
function routeThrough(stream: Writable, printer: Printer): () => void {
  const write = stream.write;
  let partial = '';
  stream.write = function routedWrite(this: Writable, chunk: unknown, ...rest: unknown[]) {
    const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : null;
    if (text === null || /^\x07*$/.test(text))
      return (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    if (lines.length) printer.print(lines.join('\n'));
    const done = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    if (done) queueMicrotask(done);
    return true;
  } as typeof stream.write;
  return () => {
    stream.write = write;
    if (partial) printer.print(partial);
  };
}

/** Whether Node's repl is inside a multi-line input (then a `.word` line is code, as Node reads it). */
function bufferedInput(server: REPLServer): boolean {
  const key = Object.getOwnPropertySymbols(server).find((s) => s.description === 'bufferedCommand');
  return key !== undefined && Boolean((server as unknown as Record<symbol, unknown>)[key]);
}

async function setupHistory(server: REPLServer, file: string, printer: Printer): Promise<void> {
  try {
    await mkdir(dirname(file), { recursive: true });
  } catch {
    // setupHistory reports the same problem below
  }
  await new Promise<void>((resolve) => {
    server.setupHistory(file, (err) => {
      if (err) printer.info(`history is not kept: ${formatError(err)}`);
      resolve();
    });
  });
}
