import type { Test } from 'tap';
import type { Warning } from '../../../src/errors.js';
import { PluginHost, type PluginHostOptions } from '../../../src/plugins/index.js';
import { FakePeer } from './fake-peer.js';

/** A host on a FakePeer, attached, with its warnings and logs recorded and stopped at teardown. */
export function makeHost(t: Test, options: Partial<PluginHostOptions> = {}, peerName = 'me') {
  const peer = new FakePeer({ name: peerName });
  const logs: Array<{ level: string; message: string }> = [];
  const host = new PluginHost({
    peer,
    dataDir: null,
    hookTimeoutMs: 300,
    log: (level, message) => logs.push({ level, message }),
    ...options,
  });
  peer.interceptors = host.interceptors;
  const warnings: Warning[] = [];
  host.on('warning', (w) => warnings.push(w));
  host.attach();
  t.teardown(() => host.stop());
  return { peer, host, warnings, logs };
}
