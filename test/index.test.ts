/**
 * The package entries are a public contract. Type claims are checked by `tsc --noEmit`
 * (npm run typecheck); the runtime asserts pin the exported names of src/ and of the built dist/.
 */
import { existsSync } from 'node:fs';
import { expectTypeOf } from 'expect-type';
import t from 'tap';
import * as entry from '../src/index.js';
import {
  type ChatMessage,
  type Code,
  definePlugin,
  type OptionsSchema,
  type Peer,
  type PeerEvents,
  type PeerInfo,
  type PeerOptions,
  type Plugin,
  type PluginApi,
  type PluginHostOptions,
  type SendResult,
  type Warning,
  z,
} from '../src/index.js';
import * as testing from '../src/testing.js';

const VALUES = [
  'HOOK_KINDS',
  'HOOK_NAMES',
  'Peer',
  'PeerchatError',
  'PluginHost',
  'codes',
  'definePlugin',
  'isPeerchatError',
  'sanitize',
  'version',
  'z',
] as const;
const TESTING_VALUES = ['DEFAULT_TIMEOUT_MS', 'TestPeer', 'startPeer', 'stopAll'] as const;

// exactly these values, nothing internal (no resolvePluginSpec, PEER_API_MEMBERS, Store, runPeer...)
expectTypeOf<keyof typeof entry>().toEqualTypeOf<(typeof VALUES)[number]>();
expectTypeOf<keyof typeof testing>().toEqualTypeOf<(typeof TESTING_VALUES)[number]>();

// embedders: a Peer from its options, with typed events
expectTypeOf<ConstructorParameters<typeof Peer>[0]>().toEqualTypeOf<PeerOptions>();
expectTypeOf<PeerEvents['message']>().toEqualTypeOf<[msg: ChatMessage]>();
expectTypeOf<PeerEvents['warning']>().toEqualTypeOf<[warning: Warning]>();
expectTypeOf<Warning['code']>().toEqualTypeOf<Code>();
expectTypeOf<Extract<PluginHostOptions['peer'], { send: unknown }>['send']>().returns.toEqualTypeOf<
  Promise<SendResult>
>();
expectTypeOf(entry.version).toEqualTypeOf<string>();

// plugin authors: an options schema types setup's options
const greeter = definePlugin({
  name: 'greeter',
  options: z
    .object({ greeting: z.string().default('hi') })
    .strict()
    .default({}),
  setup(api, options) {
    expectTypeOf(options).toEqualTypeOf<{ greeting: string }>();
    expectTypeOf(api).toEqualTypeOf<PluginApi<{ greeting: string }>>();
    return {
      onPeerConnected: (peer) => {
        expectTypeOf(peer).toEqualTypeOf<PeerInfo>();
      },
    };
  },
});
expectTypeOf(greeter).toEqualTypeOf<Plugin<{ greeting: string }>>();
expectTypeOf<NonNullable<Plugin<number>['options']>>().toEqualTypeOf<OptionsSchema<number>>();
// a schema of the wrong type for the options setup declares is an error
definePlugin({
  name: 'wrong',
  options: z.string(),
  // @ts-expect-error setup declares number options, the schema gives a string
  setup(_api, _options: number) {},
});

// peerchat/testing: waitFor gives each event's own value
declare const tp: testing.TestPeer;
if (false as boolean) {
  expectTypeOf(tp.waitFor('message')).toEqualTypeOf<Promise<ChatMessage>>();
  expectTypeOf(tp.waitFor('peer-connected')).toEqualTypeOf<Promise<PeerInfo>>();
  expectTypeOf(tp.waitFor('warning')).toEqualTypeOf<Promise<Warning>>();
}

t.test('the entry exports exactly the public values', async (t) => {
  t.same(Object.keys(entry).sort(), [...VALUES].sort());
  t.same(Object.keys(testing).sort(), [...TESTING_VALUES].sort());
  t.match(entry.version, /^\d+\.\d+\.\d+/);
  t.type(entry.Peer, 'function');
});

const dist = new URL('../dist/', import.meta.url);
const built = existsSync(new URL('index.js', dist));
t.test(
  'the built entries (what the package ships) export the same names',
  { skip: !built && 'dist/ is not built' },
  async (t) => {
    const built = await import(new URL('index.js', dist).href);
    const builtTesting = await import(new URL('testing.js', dist).href);
    t.same(Object.keys(built).sort(), [...VALUES].sort());
    t.same(Object.keys(builtTesting).sort(), [...TESTING_VALUES].sort());
  },
);
