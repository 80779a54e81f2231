import t from 'tap';
import {
  HOOK_KINDS,
  isHookName,
  isObserveHook,
  isTransformHook,
  suggestHook,
} from '../../src/plugins/hooks.js';

t.test('the hook list is closed and each hook has its kind', async (t) => {
  t.same(Object.keys(HOOK_KINDS).sort(), [
    'onDelivered',
    'onMessage',
    'onPeerConnected',
    'onPeerDisconnected',
    'onPeerDiscovered',
    'onSent',
    'onStart',
    'onStop',
    'transformIncoming',
    'transformOutgoing',
  ]);
  t.ok(isObserveHook('onMessage'));
  t.ok(isTransformHook('transformOutgoing'));
  t.notOk(isTransformHook('onStart'));
  t.ok(isHookName('onPeerDiscovered'));
  t.notOk(isHookName('toString'), 'inherited names are not hooks');
  t.notOk(isHookName('onmessage'));
});

t.test('misspelt hook names get a suggestion; unrelated ones do not', async (t) => {
  t.equal(suggestHook('onmessage'), 'onMessage');
  t.equal(suggestHook('onPeerConected'), 'onPeerConnected');
  t.equal(suggestHook('transformIncomming'), 'transformIncoming');
  t.equal(suggestHook('banana'), null);
});
