/**
 * Every CLI command, one module each. To add a command (history, export, ...), write
 * src/cli/commands/<name>.ts exporting a CommandModule<GlobalArgs, ...> and list it here.
 */
import type { CommandModule } from 'yargs';
import type { GlobalArgs } from '../context.js';
import { completionCommand } from './completion.js';
import { contactsCommand } from './contacts.js';
import { exportCommand } from './export.js';
import { historyCommand } from './history.js';
import { idCommand } from './id.js';
import { initCommand } from './init.js';
import { pluginCommand } from './plugin.js';
import { queryCommand } from './query.js';
import { runCommand } from './run.js';
import { sendCommand } from './send.js';
import { startCommand } from './start.js';
import { trustCommand } from './trust.js';

// biome-ignore lint/suspicious/noExplicitAny: each command narrows its own arguments
export const commands: CommandModule<GlobalArgs, any>[] = [
  startCommand,
  sendCommand,
  queryCommand,
  runCommand,
  idCommand,
  historyCommand,
  exportCommand,
  contactsCommand,
  trustCommand,
  initCommand,
  pluginCommand,
  completionCommand,
];
