/**
 * Type tests: `tsc --noEmit` checks this file (npm run typecheck), so every expectTypeOf and
 * @ts-expect-error below is a claim about the public plugin API. The runtime asserts keep tap honest.
 */
import { expectTypeOf } from 'expect-type';
import t from 'tap';
import {
  definePlugin,
  HOOK_KINDS,
  type HookKindOf,
  type HookName,
  type ObserveHooks,
  type Plugin,
  type PluginApi,
  type PluginCommand,
  type PluginHooks,
  type PluginOptions,
  type PluginOrder,
  type TransformHooks,
} from '../../src/index.js';
import type { ChatMessage, DisconnectReason, PeerInfo, SendResult } from '../../src/types.js';

type MaybePromise<T> = T | Promise<T>;

// the closed list of hook names, and each one's kind
expectTypeOf<HookName>().toEqualTypeOf<
  | 'onStart'
  | 'onStop'
  | 'onMessage'
  | 'onSent'
  | 'onDelivered'
  | 'onPeerConnected'
  | 'onPeerDisconnected'
  | 'onPeerDiscovered'
  | 'transformIncoming'
  | 'transformOutgoing'
>();
expectTypeOf<HookKindOf<'onMessage'>>().toEqualTypeOf<'observe'>();
expectTypeOf<HookKindOf<'transformOutgoing'>>().toEqualTypeOf<'transform'>();
expectTypeOf(HOOK_KINDS.transformIncoming).toEqualTypeOf<'transform'>();
expectTypeOf(HOOK_KINDS.onPeerDiscovered).toEqualTypeOf<'observe'>();

// observe hooks: arguments as documented, results ignored (void)
expectTypeOf<ObserveHooks['onMessage']>().parameters.toEqualTypeOf<[msg: ChatMessage]>();
expectTypeOf<ObserveHooks['onSent']>().parameters.toEqualTypeOf<[msg: ChatMessage, result: SendResult]>();
expectTypeOf<ObserveHooks['onPeerDisconnected']>().parameters.toEqualTypeOf<
  [peer: PeerInfo, reason: DisconnectReason]
>();
expectTypeOf<ObserveHooks['onStart']>().parameters.toEqualTypeOf<[]>();
expectTypeOf<ObserveHooks['onMessage']>().returns.toEqualTypeOf<MaybePromise<void>>();

// transform hooks: a message in; a message or null (sync or async) out
expectTypeOf<TransformHooks['transformIncoming']>().parameters.toEqualTypeOf<[msg: ChatMessage]>();
expectTypeOf<TransformHooks['transformIncoming']>().returns.toEqualTypeOf<MaybePromise<ChatMessage | null>>();
expectTypeOf<TransformHooks['transformOutgoing']>().returns.toEqualTypeOf<MaybePromise<ChatMessage | null>>();
expectTypeOf<keyof PluginHooks>().toEqualTypeOf<HookName>();

// the api
expectTypeOf<PluginApi['send']>().returns.toEqualTypeOf<Promise<SendResult>>();
expectTypeOf<PluginApi['reply']>().parameter(0).toEqualTypeOf<ChatMessage>();
expectTypeOf<PluginApi['broadcast']>().returns.toEqualTypeOf<Promise<SendResult[]>>();
expectTypeOf<PluginApi['peers']>().returns.toEqualTypeOf<PeerInfo[]>();
expectTypeOf<PluginApi['stateDir']>().toEqualTypeOf<string>();
expectTypeOf<PluginApi<{ n: number }>['options']>().toEqualTypeOf<{ n: number }>();
expectTypeOf<PluginApi['addCommand']>().parameters.toEqualTypeOf<[name: string, command: PluginCommand]>();
expectTypeOf<PluginOrder>().toEqualTypeOf<'pre' | 'normal' | 'post'>();

// definePlugin: options and hooks are typed from setup
const typed = definePlugin({
  name: 'typed',
  order: 'post',
  setup(api: PluginApi<{ words: string[] }>, options) {
    expectTypeOf(options).toEqualTypeOf<{ words: string[] }>();
    expectTypeOf(api.log.info).toBeFunction();
    return {
      transformIncoming: (msg) => {
        expectTypeOf(msg).toEqualTypeOf<ChatMessage>();
        return options.words.includes(msg.text) ? null : msg;
      },
      onPeerDisconnected: async (peer, reason) => {
        expectTypeOf(peer).toEqualTypeOf<PeerInfo>();
        expectTypeOf(reason).toEqualTypeOf<DisconnectReason>();
      },
    };
  },
});
expectTypeOf(typed).toEqualTypeOf<Plugin<{ words: string[] }>>();
expectTypeOf<PluginOptions<typeof typed>>().toEqualTypeOf<{ words: string[] }>();

// setup may return nothing, or hooks asynchronously
definePlugin({ name: 'nothing', setup() {} });
definePlugin({ name: 'async', setup: async () => ({ onStart() {} }) });

// misuse is a type error
definePlugin({
  name: 'unknown-hook',
  // @ts-expect-error: "onMesage" is not a hook
  setup: () => ({ onMesage() {} }),
});
definePlugin({
  name: 'unknown-among-known',
  // @ts-expect-error: unknown hook names are errors even next to known ones
  setup: () => ({ onMessage() {}, onShutdown() {} }),
});
definePlugin({
  name: 'async-unknown',
  // @ts-expect-error: also when setup is async
  setup: async () => ({ onMessage() {}, bogus() {} }),
});
definePlugin({
  name: 'bad-transform',
  // @ts-expect-error: a transform returns a message or null, not a string
  setup: () => ({ transformIncoming: (msg: ChatMessage) => msg.text }),
});
definePlugin({
  name: 'bad-transform-undefined',
  // @ts-expect-error: forgetting to return the message is caught
  setup: () => ({ transformOutgoing: (_msg: ChatMessage) => {} }),
});
definePlugin({
  name: 'bad-order',
  // @ts-expect-error: order is pre, normal or post
  order: 'first',
  setup() {},
});
// @ts-expect-error: a plugin needs a name
definePlugin({ setup() {} });
definePlugin({
  name: 'bad-command',
  setup(api) {
    // @ts-expect-error: a command needs help text
    api.addCommand('x', { action() {} });
  },
});

t.test('definePlugin returns the plugin unchanged; hook kinds match their types', async (t) => {
  const plugin = { name: 'same', setup() {} };
  t.equal(definePlugin(plugin), plugin);
  const observe: Array<HookKindOf<'onStart'>> = ['observe'];
  t.same(
    Object.entries(HOOK_KINDS)
      .filter(([, kind]) => kind === observe[0])
      .map(([name]) => name),
    [
      'onStart',
      'onStop',
      'onMessage',
      'onSent',
      'onDelivered',
      'onPeerConnected',
      'onPeerDisconnected',
      'onPeerDiscovered',
    ],
  );
});
