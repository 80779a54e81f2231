import t from 'tap';
import { PeerchatError } from '../../src/errors.js';
import { FailurePolicy, newRecord, remoteSource } from '../../src/plugins/failures.js';

const err = (m = 'boom') => new PeerchatError('ERR_PLUGIN_HOOK', m);

t.test('remoteSource: key, else the IP of the sender; local input is null', async (t) => {
  t.equal(remoteSource('onMessage', [{ direction: 'in', key: 'k', from: '1.2.3.4:5' }]), 'k');
  t.equal(remoteSource('transformIncoming', [{ direction: 'in', key: null, from: '1.2.3.4:5' }]), '1.2.3.4');
  t.equal(remoteSource('onMessage', [{ direction: 'out', key: 'k' }]), null);
  t.equal(remoteSource('onPeerConnected', [{ address: '9.9.9.9:1' }]), '9.9.9.9');
  t.equal(remoteSource('onStart', []), null);
  t.equal(remoteSource('onSent', [{ key: 'k' }]), null);
});

t.test('local failures disable the plugin at the limit', async (t) => {
  const warnings: string[] = [];
  const disabled: string[] = [];
  const policy = new FailurePolicy({
    maxFailures: 2,
    windowMs: 60_000,
    warn: (e) => warnings.push(e.code),
    onDisable: (p) => disabled.push(p.name),
  });
  const p = newRecord('x');
  policy.fail(p, err());
  t.equal(p.disabled, false);
  policy.fail(p, err());
  t.equal(p.disabled, true);
  t.same(disabled, ['x']);
  t.same(warnings, ['ERR_PLUGIN_HOOK', 'ERR_PLUGIN_HOOK', 'ERR_PLUGIN_DISABLED']);
});

t.test('remote failures mute that peer only, then stay quiet', async (t) => {
  const warnings: string[] = [];
  const policy = new FailurePolicy({
    maxFailures: 2,
    windowMs: 60_000,
    warn: (e) => warnings.push(e.code),
    onDisable: () => t.fail('not disabled'),
  });
  const p = newRecord('x');
  policy.fail(p, err(), 'peer1');
  policy.fail(p, err(), 'peer1');
  t.ok(policy.isMuted(p, 'peer1'));
  t.notOk(policy.isMuted(p, 'peer2'));
  t.notOk(policy.isMuted(p, null));
  policy.fail(p, err(), 'peer1');
  t.same(warnings, ['ERR_PLUGIN_HOOK', 'ERR_PLUGIN_HOOK', 'ERR_PLUGIN_PEER_MUTED']);
  p.muted.set('peer1', Date.now() - 1);
  t.notOk(policy.isMuted(p, 'peer1'), 'unmuted after the window');
});
