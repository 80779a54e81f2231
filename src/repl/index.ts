/** The REPL, script mode and NDJSON output: what the CLI wires up. */
export { ChatState } from './chat.js';
export {
  BUILTIN_COMMANDS,
  buildCommands,
  builtinCommands,
  formatMenu,
  MENU,
  parseCommandLine,
  REPL_BUILTINS,
  RESERVED_COMMANDS,
  type ReplCommand,
} from './commands.js';
export { completePeerArgument, createCompleter } from './completer.js';
export { createEvaluator } from './evaluate.js';
export { formatError, formatMessage, shouldUseColor } from './format.js';
export { CORE_MEMBERS, createPeerGlobal, type Helper, PEER_EVENTS, type PeerGlobal } from './global.js';
export { attachJson, type JsonEvent, JsonWriter, toJsonValue } from './json.js';
export { attachPrinter, Printer } from './printer.js';
export { evalCode, type RunScriptOptions, runModule, runScript, type ScriptOptions } from './script.js';
export { type ReplHandle, type StartReplOptions, startRepl } from './start.js';
