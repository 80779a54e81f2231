/**
 * Plugins' dot-commands and `peer` helpers: staged during a plugin's setup, checked against the
 * reserved names and each other, committed once setup succeeded; unavailable while disabled.
 */
import { PeerchatError } from '../errors.js';
import { PEER_API_NAMES } from '../peer/members.js';
import type { PluginCommand, PluginHelper } from './types.js';

const COMMAND_NAME = /^[a-z][a-z0-9_-]*$/i;
const HELPER_NAME = /^[A-Za-z_$][\w$]*$/;
/**
 * Members of PeerApi (its one list, PEER_API_NAMES) and of the REPL's `peer` global a helper may
 * not shadow, and the EventEmitter underneath.
 */
const RESERVED = [
  ...PEER_API_NAMES,
  'emit',
  'removeListener',
  'addListener',
  'active',
  'connected',
  'pending',
  'chat',
  'quit',
  'help',
];
export const PEER_API_MEMBERS: readonly string[] = RESERVED;

/** A dot-command as the REPL gets it: its action never throws (failures become warnings). */
export interface HostCommand {
  help: string;
  plugin: string;
  action(args: string): Promise<unknown>;
}

/** One plugin's commands and helpers, kept apart until its setup succeeded. */
export interface Staged {
  open: boolean;
  commands: Map<string, PluginCommand>;
  helpers: Map<string, PluginHelper>;
  clash: PeerchatError | null;
}

export function newStaged(): Staged {
  return { open: true, commands: new Map(), helpers: new Map(), clash: null };
}

export interface RegistryOptions {
  /** Built-in REPL command names plugins may not take. */
  reservedCommands?: readonly string[];
  /** Names plugins may not use for helpers. @default PEER_API_MEMBERS */
  reservedHelpers?: readonly string[];
  isDisabled(plugin: string): boolean;
  warn(error: PeerchatError): void;
}

export class Registry {
  readonly commands = new Map<string, HostCommand>();
  readonly helpers: Record<string, PluginHelper> = {};
  readonly reservedCommands: Set<string>;
  readonly #reservedHelpers: Set<string>;
  readonly #commandOwners = new Map<string, string>();
  readonly #helperOwners = new Map<string, string>();

  constructor(private readonly o: RegistryOptions) {
    this.reservedCommands = new Set(o.reservedCommands ?? []);
    this.#reservedHelpers = new Set(o.reservedHelpers ?? PEER_API_MEMBERS);
  }

  /** Commit what a plugin staged during its setup. */
  commit(plugin: string, staged: Staged): void {
    for (const [command, def] of staged.commands) this.#commitCommand(plugin, command, def);
    for (const [helper, fn] of staged.helpers) this.#commitHelper(plugin, helper, fn);
  }

  /** A disabled plugin's commands disappear from the REPL. */
  removeCommandsOf(plugin: string): void {
    for (const [name, owner] of this.#commandOwners) if (owner === plugin) this.commands.delete(name);
  }

  stageCommand(plugin: string, spec: string, staged: Staged, name: string, command: PluginCommand): void {
    if (!staged.open)
      throw new PeerchatError('ERR_USAGE', `plugin "${plugin}": addCommand works only during setup`);
    if (typeof name !== 'string' || !COMMAND_NAME.test(name)) {
      throw new PeerchatError(
        'ERR_USAGE',
        `plugin "${plugin}": "${name}" is not a valid command name (no dot)`,
      );
    }
    if (typeof command?.action !== 'function' || typeof command.help !== 'string') {
      throw new PeerchatError(
        'ERR_USAGE',
        `plugin "${plugin}": command ".${name}" needs { help: string, action() }`,
      );
    }
    const owner = this.reservedCommands.has(name)
      ? 'the built-in command'
      : this.#commandOwners.has(name)
        ? `the command of plugin "${this.#commandOwners.get(name)}"`
        : staged.commands.has(name)
          ? 'its own command'
          : null;
    if (owner) {
      staged.clash ??= new PeerchatError(
        'ERR_PLUGIN_COMMAND_CLASH',
        `plugin "${plugin}" (${spec}) adds command ".${name}", which clashes with ${owner} ".${name}"`,
      );
      throw staged.clash;
    }
    staged.commands.set(name, command);
  }

  stageHelper(plugin: string, spec: string, staged: Staged, name: string, fn: PluginHelper): void {
    if (!staged.open)
      throw new PeerchatError('ERR_USAGE', `plugin "${plugin}": addHelper works only during setup`);
    if (typeof name !== 'string' || !HELPER_NAME.test(name)) {
      throw new PeerchatError('ERR_USAGE', `plugin "${plugin}": "${name}" is not a valid helper name`);
    }
    if (typeof fn !== 'function') {
      throw new PeerchatError('ERR_USAGE', `plugin "${plugin}": helper "${name}" must be a function`);
    }
    const owner = this.#reservedHelpers.has(name)
      ? `peer.${name} of the peer itself`
      : this.#helperOwners.has(name)
        ? `the helper of plugin "${this.#helperOwners.get(name)}"`
        : staged.helpers.has(name)
          ? 'its own helper'
          : null;
    if (owner) {
      staged.clash ??= new PeerchatError(
        'ERR_PLUGIN_COMMAND_CLASH',
        `plugin "${plugin}" (${spec}) adds helper "peer.${name}", which clashes with ${owner}`,
      );
      throw staged.clash;
    }
    staged.helpers.set(name, fn);
  }

  #commitCommand(plugin: string, name: string, command: PluginCommand): void {
    this.#commandOwners.set(name, plugin);
    this.commands.set(name, {
      help: command.help,
      plugin,
      action: async (args: string) => {
        if (this.o.isDisabled(plugin)) {
          this.o.warn(
            new PeerchatError(
              'ERR_PLUGIN_DISABLED',
              `plugin "${plugin}" is disabled; ".${name}" is unavailable`,
            ),
          );
          return undefined;
        }
        // commands are typed by people and may take a while: no timeout, and a failure is not counted
        try {
          return await command.action.call(command, typeof args === 'string' ? args : '');
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          this.o.warn(
            new PeerchatError('ERR_PLUGIN_HOOK', `plugin "${plugin}" command ".${name}" failed: ${message}`, {
              cause: err,
            }),
          );
          return undefined;
        }
      },
    });
  }

  #commitHelper(plugin: string, name: string, fn: PluginHelper): void {
    this.#helperOwners.set(name, plugin);
    this.helpers[name] = (...args: unknown[]) => {
      if (this.o.isDisabled(plugin))
        throw new PeerchatError(
          'ERR_PLUGIN_DISABLED',
          `plugin "${plugin}" is disabled; peer.${name} is unavailable`,
        );
      return fn(...args);
    };
  }
}
