// @ts-check
/**
 * filter: drops incoming messages from blocked peers or keys before any other plugin sees them.
 * `.block <target|key>`, `.unblock <target|key>`, `.blocked`; the list persists in the state dir.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { definePlugin, PeerchatError, z } from 'peerchat';

const STATE_FILE = 'blocked.json';
const MAX_ENTRIES = 10_000;

/**
 * @typedef {object} FilterOptions
 * @property {string[]} [blocked] Blocked from the start (merged with the saved list):
 *   "ip:port", a peer name, a hex key or a fingerprint.
 */

/** @param {string} s */
const norm = (s) => s.trim().toLowerCase();

export default definePlugin({
  name: 'filter',
  options: z
    .object({ blocked: z.array(z.string().trim().min(1, { message: 'a non-empty string' })).optional() })
    .strict()
    .optional(),
  // before every other transform, so no plugin ever sees a blocked message
  order: 'pre',
  /**
   * @param {import('peerchat').PluginApi<FilterOptions | undefined>} api
   * @param {FilterOptions | undefined} options
   */
  async setup(api, options) {
    const initial = options?.blocked ?? [];
    const file = path.join(api.stateDir, STATE_FILE);
    /** @type {Set<string>} */
    const blocked = new Set(initial.map(norm));
    for (const entry of await readSaved(file)) blocked.add(norm(entry));

    async function save() {
      const tmp = `${file}.tmp`;
      await writeFile(tmp, `${JSON.stringify([...blocked], null, 2)}\n`);
      await rename(tmp, file);
    }

    /** @param {string} target */
    function entriesFor(target) {
      const t = norm(String(target ?? ''));
      if (!t) throw new PeerchatError('ERR_USAGE', 'give a peer: "ip:port", a name, a key or a fingerprint');
      // blocking a known peer by name also blocks its key and address, which a rename cannot dodge
      const peer = api.peers().find((p) => norm(p.name ?? '') === t || p.address === t);
      return peer
        ? [t, peer.key, peer.address].filter((x) => typeof x === 'string').map((x) => norm(x))
        : [t];
    }

    /** @param {string} target */
    async function block(target) {
      const entries = entriesFor(target);
      if (blocked.size + entries.length > MAX_ENTRIES) {
        throw new PeerchatError('ERR_USAGE', `the block list is full (${MAX_ENTRIES} entries)`);
      }
      for (const e of entries) blocked.add(e);
      await save();
      return entries;
    }

    /** @param {string} target */
    async function unblock(target) {
      const entries = entriesFor(target).filter((e) => blocked.has(e));
      for (const e of entries) blocked.delete(e);
      await save();
      return entries;
    }

    /** @param {import('peerchat').ChatMessage} msg */
    function isBlocked(msg) {
      return [msg.from, msg.key, msg.fingerprint, msg.name].some(
        (v) => typeof v === 'string' && blocked.has(norm(v)),
      );
    }

    api.addCommand('block', {
      help: 'Drop messages from a peer: .block <ip:port|name|key|fingerprint>',
      async action(args) {
        if (!args.trim()) return 'usage: .block <ip:port|name|key|fingerprint>';
        return `blocked: ${(await block(args)).join(', ')}`;
      },
    });
    api.addCommand('unblock', {
      help: 'Accept messages from a peer again: .unblock <ip:port|name|key|fingerprint>',
      async action(args) {
        if (!args.trim()) return 'usage: .unblock <ip:port|name|key|fingerprint>';
        const removed = await unblock(args);
        return removed.length ? `unblocked: ${removed.join(', ')}` : `not blocked: ${args.trim()}`;
      },
    });
    api.addCommand('blocked', {
      help: 'List blocked peers and keys',
      action: () => (blocked.size ? [...blocked].join('\n') : 'nobody is blocked'),
    });
    api.addHelper('block', block);
    api.addHelper('unblock', unblock);
    api.addHelper('blocked', () => [...blocked]);

    return {
      transformIncoming: (msg) => (isBlocked(msg) ? null : msg),
    };
  },
});

/**
 * @param {string} file
 * @returns {Promise<string[]>}
 */
async function readSaved(file) {
  let text;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (/** @type {NodeJS.ErrnoException} */ (err).code === 'ENOENT') return [];
    throw err;
  }
  let list;
  try {
    list = JSON.parse(text);
  } catch (err) {
    throw new PeerchatError('ERR_CONFIG_INVALID', `${file} is not valid JSON; fix or remove it`, {
      cause: err,
    });
  }
  if (!Array.isArray(list) || list.some((x) => typeof x !== 'string')) {
    throw new PeerchatError('ERR_CONFIG_INVALID', `${file} must hold an array of strings`);
  }
  return list;
}
