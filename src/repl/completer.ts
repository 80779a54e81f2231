/**
 * Tab completion of peer names and addresses inside arguments; everything else (methods,
 * globals, dot-command names) is left to Node's own repl completer.
 */
import type { PeerApi } from '../peer/api.js';
import type { PeerInfo } from '../types.js';
import { BUILTIN_COMMANDS, COMMAND_OPTIONS, REPL_BUILTINS } from './commands.js';
import { sanitize } from './format.js';

export type Completion = [completions: string[], substring: string];
export type CompleterCallback = (err: Error | null, result?: Completion) => void;
export type Completer = (line: string, cb: CompleterCallback) => void;

const TARGET_COMMANDS = new Set(['send', 'query', 'chat', 'history', 'whois']);
const ADDRESS_COMMANDS = new Set(['connect', 'trust']);
const TARGET_METHODS = new Set(['send', 'query', 'chat']);
const ADDRESS_METHODS = new Set(['connect']);

// `.send al` / `.history --limit 5 g`: the arguments of a dot-command
const DOT_ARGS = /^\s*\.([\w-]+)\s+([\s\S]*)$/;
// `peer.send('al` / `await peer.connect("127.` : an open string as the first argument of a method
const METHOD_ARG = /\bpeer\s*\.\s*(\w+)\s*\(\s*(['"`])([^'"`\\]*)$/;
// `await peer.conn`: Node 24's completer returns nothing after `await`, so it gets the member chain alone
const AFTER_AWAIT = /\bawait\s+([\w$]+(?:\s*\.\s*[\w$]*)*)$/;

/** The peer as the completer sees it: who is known now, and the contact book. */
type Known = Pick<PeerApi, 'activePeers' | 'contacts'>;

/**
 * Targets for send/query/chat: every address, and each name that names one peer, among the known
 * peers and the contact book (a contact away is still a target: its message is queued).
 */
function targets(peer: Known): string[] {
  const peers = peer.activePeers();
  const ids = new Map<string, Set<string>>();
  const add = (name: string | null, id: string) => {
    if (name) ids.set(name, (ids.get(name) ?? new Set()).add(id));
  };
  for (const p of peers) add(p.name, p.key ?? p.address);
  for (const c of contactsOf(peer)) add(c.name, c.key ?? c.addresses[0] ?? '');
  const names = [...ids].filter(([, who]) => who.size === 1).map(([name]) => name);
  return [...names.sort(), ...peers.map((p) => p.address).sort()];
}

/** The contact book, or none when it cannot be read (completion never throws). */
function contactsOf(peer: Known): ReturnType<PeerApi['contacts']> {
  try {
    return peer.contacts();
  } catch {
    return [];
  }
}

/** Addresses worth connecting to: known but not connected yet. */
function addresses(peers: readonly PeerInfo[]): string[] {
  return peers
    .filter((p) => !p.connected)
    .map((p) => p.address)
    .sort();
}

function match(candidates: string[], partial: string): Completion {
  // names come from the network: a candidate is printed by the repl, so it is shown escaped
  const unique = [...new Set(candidates.map(sanitize))].filter((c) => c.startsWith(partial));
  return [unique, partial];
}

/** Completion of a peer argument in `line`, or null when the cursor is not in one. */
export function completePeerArgument(line: string, peer: Known): Completion | null {
  const dot = DOT_ARGS.exec(line);
  if (dot) {
    const [, cmd = '', rest = ''] = dot;
    if (REPL_BUILTINS.includes(cmd)) return null; // .load and .save take files: Node completes those
    return completeDotArgument(cmd, rest, peer);
  }
  const call = METHOD_ARG.exec(line);
  if (call) {
    const [, method = '', , partial = ''] = call;
    if (TARGET_METHODS.has(method)) return match(targets(peer), partial);
    if (ADDRESS_METHODS.has(method)) return match(addresses(peer.activePeers()), partial);
  }
  return null;
}

/**
 * The word being typed after a dot-command: an option name, or a peer for the first positional
 * of a command that takes a target (plugin commands included). Never JavaScript names.
 */
function completeDotArgument(cmd: string, rest: string, peer: Known): Completion {
  const words = rest.split(/\s+/);
  const partial = words.pop() ?? '';
  const options = COMMAND_OPTIONS[cmd] ?? {};
  if (partial.startsWith('-')) {
    return match(
      Object.keys(options).map((o) => `--${o}`),
      partial,
    );
  }
  let position = 0;
  for (let i = 0; i < words.length; i++) {
    const w = words[i] ?? '';
    if (w === '') continue;
    if (w.startsWith('--')) {
      if (options[w.slice(2)]?.type === 'string' && !w.includes('=')) i++; // its value
    } else position++;
  }
  if (position !== 0) return [[], partial];
  if (ADDRESS_COMMANDS.has(cmd)) return match(addresses(peer.activePeers()), partial);
  if (TARGET_COMMANDS.has(cmd) || !BUILTIN_COMMANDS.includes(cmd)) return match(targets(peer), partial);
  return [[], partial];
}

/** A repl completer: peer arguments first, then the `fallback` (Node's default completer). */
export function createCompleter(peer: Known, fallback: Completer): Completer {
  return (line, cb) => {
    let result: Completion | null = null;
    try {
      result = completePeerArgument(line, peer);
    } catch {
      result = null; // a peer table that cannot be read must not break the prompt
    }
    if (result) cb(null, result);
    else
      fallback(AFTER_AWAIT.exec(line)?.[1] ?? line, (err, res) => {
        // the `peer` global is a class instance: its constructor is no command for people
        if (res) cb(err, [res[0].filter((c) => !c.endsWith('.constructor')), res[1]]);
        else cb(err, res);
      });
  };
}
