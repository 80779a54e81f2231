import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import t from 'tap';
import { resolvePluginSpec } from '../../src/plugins/index.js';
import { makeHost } from './helpers/host.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** A plugin module's source: a plain object, as a third party might write without definePlugin. */
const pluginSource = (name: string, body = 'return { onMessage() {} };') =>
  `export default { name: ${JSON.stringify(name)}, setup(api, options) { ${body} } };\n`;

t.test('a path spec is resolved relative to baseDir (file, directory, file: URL)', async (t) => {
  const dir = t.testdir({
    'one.js': pluginSource('one'),
    two: { 'index.js': pluginSource('two') },
    'three.mjs': pluginSource('three'),
    cfg: {},
  });
  const baseDir = path.join(dir, 'cfg');
  const { host } = makeHost(t);
  await host.load([
    { spec: '../one.js', baseDir },
    { spec: '../two', baseDir },
    { spec: pathToFileURL(path.join(dir, 'three.mjs')).href, baseDir },
  ]);
  t.same(
    host.plugins.map((p) => [p.name, p.spec]),
    [
      ['one', '../one.js'],
      ['two', '../two'],
      ['three', pathToFileURL(path.join(dir, 'three.mjs')).href],
    ],
  );
});

t.test('a package name is resolved from baseDir: ESM exports, main, subpaths, scopes', async (t) => {
  const dir = t.testdir({
    node_modules: {
      'esm-only': {
        'package.json': JSON.stringify({
          name: 'esm-only',
          type: 'module',
          exports: { '.': { import: './lib/x.js' } },
        }),
        lib: { 'x.js': pluginSource('esm-only') },
      },
      'by-main': {
        'package.json': JSON.stringify({ name: 'by-main', type: 'module', main: 'main.js' }),
        'main.js': pluginSource('by-main'),
      },
      '@acme': {
        multi: {
          'package.json': JSON.stringify({
            name: '@acme/multi',
            type: 'module',
            exports: { '.': './a.js', './b': { node: { default: './b.js' } } },
          }),
          'a.js': pluginSource('acme-a'),
          'b.js': pluginSource('acme-b'),
        },
      },
    },
    config: { deep: {} },
  });
  const baseDir = path.join(dir, 'config', 'deep');
  const { host } = makeHost(t);
  await host.load([
    { spec: 'esm-only', baseDir },
    { spec: 'by-main', baseDir },
    { spec: '@acme/multi', baseDir },
    { spec: '@acme/multi/b', baseDir },
  ]);
  t.same(
    host.plugins.map((p) => p.name),
    ['esm-only', 'by-main', 'acme-a', 'acme-b'],
  );
});

t.test('peerchat:<name> names a first-party plugin', async (t) => {
  t.equal(resolvePluginSpec('peerchat:logger', '/'), path.join(REPO, 'plugins', 'logger', 'index.js'));
  t.throws(() => resolvePluginSpec('peerchat:nope', '/'), {
    code: 'ERR_PLUGIN_LOAD',
    message: /cannot load plugin "peerchat:nope": there is no first-party plugin "nope"/,
  });
  t.throws(() => resolvePluginSpec('peerchat:../x', '/'), { code: 'ERR_PLUGIN_LOAD' });
});

t.test('a factory default export is called with the options', async (t) => {
  const dir = t.testdir({
    'factory.js': `export default (options) => ({ name: 'made-' + options.n, setup() {} });\n`,
    'async-factory.js': `export default async () => ({ name: 'async-made', setup() {} });\n`,
  });
  const { host } = makeHost(t);
  await host.load([
    { spec: './factory.js', baseDir: dir, options: { n: 7 } },
    { spec: './async-factory.js', baseDir: dir },
  ]);
  t.same(
    host.plugins.map((p) => p.name),
    ['made-7', 'async-made'],
  );
});

t.test('load errors name the plugin, its spec and the cause', async (t) => {
  const dir = t.testdir({
    'no-default.js': 'export const plugin = {};\n',
    'number.js': 'export default 42;\n',
    'nameless.js': 'export default { setup() {} };\n',
    'no-setup.js': `export default { name: 'no-setup' };\n`,
    'bad-order.js': `export default { name: 'bad-order', order: 'first', setup() {} };\n`,
    'syntax.js': 'export default {{;\n',
    'throws-on-import.js': `throw new Error('import-time failure');\n`,
    'factory-throws.js': `export default () => { throw new Error('factory failure'); };\n`,
    'setup-throws.js': pluginSource('setup-throws', `throw new Error('no config for ' + options.who);`),
    'setup-rejects.js': pluginSource('setup-rejects', `return Promise.reject('a string');`),
    'setup-hangs.js': pluginSource('setup-hangs', 'return new Promise(() => {});'),
    'setup-bad-result.js': pluginSource('setup-bad-result', 'return 5;'),
    'hook-not-fn.js': pluginSource('hook-not-fn', `return { onMessage: 'yes' };`),
    'dup.js': pluginSource('dup'),
    'dup2.js': pluginSource('dup'),
  });
  const cases: Array<[string, unknown, RegExp]> = [
    [
      './missing.js',
      undefined,
      /cannot load plugin "\.\/missing\.js": no file or directory at .*missing\.js/,
    ],
    [
      'no-such-package',
      undefined,
      /cannot load plugin "no-such-package": no package "no-such-package" can be found/,
    ],
    ['./no-default.js', undefined, /"\.\/no-default\.js": .*no-default\.js has no default export/],
    ['./number.js', undefined, /"\.\/number\.js": the default export is number 42/],
    ['./nameless.js', undefined, /"\.\/nameless\.js": the plugin has no name/],
    ['./no-setup.js', undefined, /plugin "no-setup" has no setup function/],
    ['./bad-order.js', undefined, /plugin "bad-order" has order "first"/],
    ['./syntax.js', undefined, /"\.\/syntax\.js": importing .*syntax\.js failed: /],
    ['./throws-on-import.js', undefined, /importing .* failed: import-time failure/],
    [
      './factory-throws.js',
      undefined,
      /"\.\/factory-throws\.js": its factory function failed: factory failure/,
    ],
    [
      './setup-throws.js',
      { who: 'bob' },
      /plugin "setup-throws" \(\.\/setup-throws\.js\): setup failed: no config for bob/,
    ],
    [
      './setup-rejects.js',
      undefined,
      /plugin "setup-rejects" \(\.\/setup-rejects\.js\): setup failed: a string/,
    ],
    ['./setup-hangs.js', undefined, /plugin "setup-hangs" .*setup did not finish within 100 ms/],
    [
      './setup-bad-result.js',
      undefined,
      /setup returned number 5; it must return an object of hooks or nothing/,
    ],
    ['./hook-not-fn.js', undefined, /hook "onMessage" is string "yes", not a function/],
  ];
  for (const [spec, options, message] of cases) {
    const { host } = makeHost(t, { hookTimeoutMs: 100 });
    await t.rejects(host.load([{ spec, options, baseDir: dir }]), { code: 'ERR_PLUGIN_LOAD', message }, spec);
    t.same(host.plugins, [], `${spec}: nothing stays loaded`);
  }
  const { host } = makeHost(t);
  const err = await host
    .load([{ spec: './setup-throws.js', baseDir: dir, options: { who: 'x' } }])
    .catch((e) => e);
  t.match(err.cause, { message: 'no config for x' }, 'the cause is kept');
  await t.rejects(
    host.load([
      { spec: './dup.js', baseDir: dir },
      { spec: './dup2.js', baseDir: dir },
    ]),
    {
      code: 'ERR_PLUGIN_LOAD',
      message: /plugin "dup" \(\.\/dup2\.js\): a plugin named "dup" is already loaded/,
    },
  );
});

t.test('an unknown hook name fails the load, with a suggestion', async (t) => {
  const dir = t.testdir({
    'typo.js': pluginSource('typo', 'return { onMesage() {} };'),
    'alien.js': pluginSource('alien', 'return { zzzzzzzzzzzzzz() {} };'),
  });
  const { host } = makeHost(t);
  await t.rejects(host.load([{ spec: './typo.js', baseDir: dir }]), {
    code: 'ERR_PLUGIN_UNKNOWN_HOOK',
    message: 'plugin "typo" (./typo.js) registered an unknown hook "onMesage"; did you mean "onMessage"?',
  });
  await t.rejects(host.load([{ spec: './alien.js', baseDir: dir }]), {
    code: 'ERR_PLUGIN_UNKNOWN_HOOK',
    message: /unknown hook "zzzzzzzzzzzzzz"; known hooks: onStart, onStop, .*transformOutgoing/,
  });
});

t.test('command and helper names that clash are refused at load, naming both', async (t) => {
  const dir = t.testdir({
    'help.js': pluginSource('helpish', `api.addCommand('help', { help: 'h', action() {} });`),
    'block-a.js': pluginSource('block-a', `api.addCommand('block', { help: 'a', action() {} });`),
    'block-b.js': pluginSource('block-b', `api.addCommand('block', { help: 'b', action() {} });`),
    'sneaky.js': pluginSource(
      'sneaky',
      `try { api.addCommand('quit', { help: 'q', action() {} }); } catch {} api.addCommand('fine', { help: 'f', action() {} });`,
    ),
    'send-helper.js': pluginSource('send-helper', `api.addHelper('send', () => {});`),
    'twice.js': pluginSource('twice', `api.addHelper('h', () => {}); api.addHelper('h', () => {});`),
    'bad-name.js': pluginSource('bad-name', `api.addCommand('.dotted', { help: 'x', action() {} });`),
  });
  const { host } = makeHost(t, { reservedCommands: ['quit'] });
  await t.rejects(host.load([{ spec: './help.js', baseDir: dir }], { reservedCommands: ['help', 'send'] }), {
    code: 'ERR_PLUGIN_COMMAND_CLASH',
    message:
      'plugin "helpish" (./help.js) adds command ".help", which clashes with the built-in command ".help"',
  });
  await host.load([{ spec: './block-a.js', baseDir: dir }]);
  await t.rejects(host.load([{ spec: './block-b.js', baseDir: dir }]), {
    code: 'ERR_PLUGIN_COMMAND_CLASH',
    message:
      /plugin "block-b" \(\.\/block-b\.js\) adds command "\.block", which clashes with the command of plugin "block-a" "\.block"/,
  });
  await t.rejects(
    host.load([{ spec: './sneaky.js', baseDir: dir }]),
    { code: 'ERR_PLUGIN_COMMAND_CLASH', message: /"sneaky".*"\.quit"/ },
    'refused even when the plugin catches the error',
  );
  t.notOk(host.commands.has('fine'), 'a refused plugin adds no command');
  await t.rejects(host.load([{ spec: './send-helper.js', baseDir: dir }]), {
    code: 'ERR_PLUGIN_COMMAND_CLASH',
    message: /adds helper "peer\.send", which clashes with peer\.send of the peer itself/,
  });
  await t.rejects(host.load([{ spec: './twice.js', baseDir: dir }]), {
    code: 'ERR_PLUGIN_COMMAND_CLASH',
    message: /clashes with its own helper/,
  });
  await t.rejects(host.load([{ spec: './bad-name.js', baseDir: dir }]), {
    code: 'ERR_PLUGIN_LOAD',
    message: /setup failed: plugin "bad-name": "\.dotted" is not a valid command name/,
  });
  t.same(
    host.plugins.map((p) => p.name),
    ['block-a'],
  );
  t.same([...host.commands.keys()], ['block']);
});

t.test(
  'a plugin file outside any package with peerchat imports "peerchat" and "peerchat/testing"',
  async (t) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'peerchat-loose-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    // tap's loader cannot import an ESM .js with no package.json at all (bin/peerchat can:
    // integration/plugin-import.test.ts), so the directory says it holds ES modules
    writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n');
    writeFileSync(
      path.join(dir, 'loose.js'),
      "import { definePlugin, version } from 'peerchat';\n" +
        "import { startPeer } from 'peerchat/testing';\n" +
        "export default definePlugin({ name: 'loose', setup(api) { api.addHelper('info', () => [version, typeof startPeer]); } });\n",
    );
    const { host } = makeHost(t);
    await host.load([{ spec: './loose.js', baseDir: dir }]);
    const pkg = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string };
    t.same(host.helpers.info?.(), [pkg.version, 'function'], 'resolved to this peerchat');
    // other bare specifiers still resolve the usual way: from the plugin's directory
    writeFileSync(path.join(dir, 'missing.js'), "import 'not-installed-anywhere';\nexport default {};\n");
    await t.rejects(host.load([{ spec: './missing.js', baseDir: dir }]), {
      code: 'ERR_PLUGIN_LOAD',
      message: /not-installed-anywhere/,
    });
  },
);
