/**
 * The files of a new plugin package (`peerchat plugin new <name>`): a plugin with an options
 * schema, a README, and a test with peerchat/testing that passes out of the box (`npm test`).
 */
import { VERSION } from '../../version.js';

export interface ScaffoldNames {
  /** The plugin's name (its `name`, its state dir, the prefix of its logs). */
  plugin: string;
  /** The npm package name. */
  pkg: string;
}

const NAME_RE = /^[a-z0-9][a-z0-9-]{0,62}$/;
const PREFIX = 'peerchat-plugin-';

/** `greeter` -> plugin "greeter", package "peerchat-plugin-greeter"; a full package name is kept. */
export function scaffoldNames(name: string): ScaffoldNames | null {
  const plugin = name.startsWith(PREFIX) ? name.slice(PREFIX.length) : name;
  if (!NAME_RE.test(plugin)) return null;
  return { plugin, pkg: `${PREFIX}${plugin}` };
}

/** Relative path -> contents. */
export function scaffoldFiles({ plugin, pkg }: ScaffoldNames): Record<string, string> {
  const [major, minor] = VERSION.split('.');
  // 0.x minors may break: the range follows semver's caret rules either way
  const range = `^${major}.${minor}.0`;
  const packageJson = {
    name: pkg,
    version: '0.1.0',
    description: `A peerchat plugin: ${plugin}`,
    keywords: ['peerchat-plugin', 'peerchat'],
    type: 'module',
    exports: './index.js',
    files: ['index.js', 'README.md'],
    scripts: { test: 'node --test' },
    engines: { node: '>=22.23.3' },
    peerDependencies: { peerchat: range },
    devDependencies: { peerchat: range },
    license: 'MIT',
  };
  return {
    'package.json': `${JSON.stringify(packageJson, null, 2)}\n`,
    'index.js': INDEX.replaceAll('{{plugin}}', plugin),
    'test/index.test.js': TEST.replaceAll('{{plugin}}', plugin),
    'README.md': README.replaceAll('{{plugin}}', plugin).replaceAll('{{pkg}}', pkg),
    '.gitignore': 'node_modules/\n',
  };
}

const INDEX = `// @ts-check
import { definePlugin, z } from 'peerchat';

export default definePlugin({
  name: '{{plugin}}',
  // checked when the plugin loads: a typo in the config is an error naming the key
  options: z
    .object({
      /** What to answer to "ping". */
      reply: z.string().min(1).default('pong'),
    })
    .strict()
    .default({}),
  setup(api, options) {
    api.addCommand('{{plugin}}', {
      help: 'Show the {{plugin}} plugin options',
      action: () => \`{{plugin}} answers "ping" with "\${options.reply}"\`,
    });
    return {
      async onMessage(msg) {
        if (msg.text.trim().toLowerCase() === 'ping') {
          // replies from hooks should not wait for the acknowledgement
          await api.reply(msg, options.reply, { wait: false });
        }
      },
    };
  },
});
`;

const TEST = `import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startPeer, stopAll } from 'peerchat/testing';

const plugin = new URL('../index.js', import.meta.url);

test('answers ping with the configured reply', async (t) => {
  const bot = await startPeer({ name: 'bot', plugins: [[plugin, { reply: 'pong!' }]] });
  const user = await startPeer({ name: 'user' });
  t.after(() => stopAll(bot, user));

  await user.send(bot, 'ping');
  const answer = await user.waitFor('message', (m) => m.from === bot.address);
  assert.equal(answer.text, 'pong!');
  assert.equal(await bot.command('{{plugin}}'), '{{plugin}} answers "ping" with "pong!"');
  assert.deepEqual(bot.warnings, []);
});

test('a typo in the options fails the load, naming the key', async () => {
  await assert.rejects(startPeer({ plugins: [[plugin, { replly: 'x' }]] }), /option "replly": unknown key/);
});
`;

const README = `# {{pkg}}

A [peerchat](https://www.npmjs.com/package/peerchat) plugin: answers \`ping\` with a reply.

## Use

\`\`\`sh
npm install {{pkg}}
\`\`\`

then name it in your peerchat config (\`.peerchatrc.json\`):

\`\`\`json
{ "plugins": [["{{pkg}}", { "reply": "pong" }]] }
\`\`\`

or load the file directly while developing: \`peerchat --plugin ./index.js\`.

| Option  | Default  |                      |
| ------- | -------- | -------------------- |
| \`reply\` | \`"pong"\` | the answer to "ping" |

Command: \`.{{plugin}}\` shows the options in use.

## Develop

\`\`\`sh
npm install
npm test    # node --test: real peers on 127.0.0.1, see peerchat/testing
\`\`\`

See peerchat's docs/plugins.md for the hooks, the api and peerchat/testing.
`;
