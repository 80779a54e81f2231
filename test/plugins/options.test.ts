/** Plugin options schemas: checked at load like the core config, parsed values reach setup. */
import t from 'tap';
import { z } from 'zod';
import { definePlugin } from '../../src/index.js';
import type { OptionsSchema } from '../../src/plugins/types.js';
import { withPlugin } from './helpers/first-party.js';
import { makeHost } from './helpers/host.js';

const schema = z
  .object({ greeting: z.string().default('hi'), times: z.number().int().min(1).optional() })
  .strict()
  .default({});

t.test('setup and api.options get the parsed options, defaults applied', async (t) => {
  const seen: unknown[] = [];
  const plugin = definePlugin({
    name: 'greet',
    options: schema,
    setup(api, options) {
      seen.push(options, api.options);
    },
  });
  const { host } = makeHost(t);
  await host.load([{ plugin }, { plugin: { ...plugin, name: 'greet2' }, options: { times: 2 } }]);
  t.same(seen, [
    { greeting: 'hi' },
    { greeting: 'hi' },
    { greeting: 'hi', times: 2 },
    { greeting: 'hi', times: 2 },
  ]);
});

t.test(
  'an unknown key fails the load naming the source, the plugin and the key, with a suggestion',
  async (t) => {
    const { host } = makeHost(t);
    const err = await host
      .load([
        {
          plugin: definePlugin({ name: 'greet', options: schema, setup: () => {} }),
          spec: './greet.js',
          options: { greting: 'yo' },
          source: '/home/a/.peerchatrc.json',
        },
      ])
      .catch((e: unknown) => e);
    t.match(err, {
      code: 'ERR_PLUGIN_LOAD',
      message:
        '/home/a/.peerchatrc.json: cannot load plugin "greet" (./greet.js): invalid options: option "greting": unknown key (did you mean "greeting"?)',
      cause: { code: 'ERR_CONFIG_INVALID' },
    });
    t.same(host.plugins, [], 'nothing was loaded');
  },
);

t.test('a wrong type names the key, what was expected and what was found', async (t) => {
  const { host } = makeHost(t);
  await t.rejects(
    host.load([
      { plugin: definePlugin({ name: 'greet', options: schema, setup: () => {} }), options: { times: 0 } },
    ]),
    { code: 'ERR_PLUGIN_LOAD', message: /option "times": expected a number >= 1, found 0/ },
  );
  await t.rejects(
    host.load([
      { plugin: definePlugin({ name: 'greet', options: schema, setup: () => {} }), options: 'loud' },
    ]),
    { code: 'ERR_PLUGIN_LOAD', message: /invalid options: options: expected an object, found "loud"/ },
  );
});

t.test('any Standard Schema validator works, sync or async', async (t) => {
  const even: OptionsSchema<number> = {
    '~standard': {
      version: 1,
      vendor: 'test',
      validate: async (v) =>
        typeof v === 'number' && v % 2 === 0
          ? { value: v * 10 }
          : { issues: [{ message: 'an even number', path: [{ key: 'n' }] }] },
    },
  };
  let got: number | undefined;
  const plugin = definePlugin({
    name: 'even',
    options: even,
    setup: (_api, n) => {
      got = n;
    },
  });
  const { host } = makeHost(t);
  await host.load([{ plugin, options: 4 }]);
  t.equal(got, 40);
  await t.rejects(makeHost(t).host.load([{ plugin, options: 3 }]), {
    code: 'ERR_PLUGIN_LOAD',
    message: /invalid options: option "n": an even number/,
  });
});

t.test('a schema that is not one fails the load', async (t) => {
  const { host } = makeHost(t);
  await t.rejects(
    host.load([{ plugin: { name: 'odd', options: { parse() {} }, setup: () => {} } as never }]),
    { code: 'ERR_PLUGIN_LOAD', message: /options schema that is not a zod schema/ },
  );
});

t.test('the first-party plugins declare schemas: a typo in filter options is caught', async (t) => {
  await t.rejects(withPlugin(t, 'filter', { options: { blocekd: ['1.2.3.4:5'] } }), {
    code: 'ERR_PLUGIN_LOAD',
    message:
      /plugin "filter" \(peerchat:filter\): invalid options: option "blocekd": unknown key \(did you mean "blocked"\?\)/,
  });
  for (const [name, options, key] of [
    ['logger', { maxFile: 3 }, 'maxFile'],
    ['bot', { prefx: '?' }, 'prefx'],
    ['auto-reply', { mesage: 'away' }, 'mesage'],
    ['notify', { keyword: ['x'] }, 'keyword'],
  ] as const) {
    await t.rejects(withPlugin(t, name, { options }), {
      code: 'ERR_PLUGIN_LOAD',
      message: new RegExp(`option "${key}": unknown key`),
    });
  }
  await t.resolves(withPlugin(t, 'notify', { options: { output: { write: () => true }, mode: 'both' } }));
});
