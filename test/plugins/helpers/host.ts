import type { Test } from 'tap';
import type { Warning } from '../../../src/errors.js';
import { PluginHost, type PluginHostOptions } from '../../../src/plugins/index.js';
import { FakePeer } from './fake-peer.js';

/** A host on a FakePeer, attached, with its warnings and logs recorded and stopped at teardown. */
export function makeHost(t: Test, options: Partial<PluginHostOptions> = {}, peerName = 'me') {
  let ref: FakePeer | undefined;
  const logs: Array<{ level: string; message: string }> = [];
  const host = new PluginHost({
    peer: () => ref!,
    dataDir: null,
    hookTimeoutMs: 300,
    log: (level, message) => logs.push({ level, message }),
    ...options,
  });
  // like src/app.ts: the peer gets the host's interceptors at construction
  const peer = new FakePeer({ name: peerName, interceptors: host.interceptors });
  ref = peer;
  const warnings: Warning[] = [];
  host.on('warning', (w) => warnings.push(w));
  host.attach();
  t.teardown(() => host.stop());
  return { peer, host, warnings, logs };
}
