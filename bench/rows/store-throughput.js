/**
 * Native throughput with the store on (issue 9): the native throughput workload with a SQLite
 * store on both Peers, against the same workload with the store off, in the same run.
 */
import { Store } from '../../dist/store/store.js';
import { interleave, metric, scoped } from '../lib/util.js';
import { DEFAULTS, peerchatPass } from './native-throughput.js';

/** Fewer messages than the store-off row: a synchronous SQLite store is several times slower. */
export const STORE_DEFAULTS = { ...DEFAULTS, count: 5000, warmup: 1000, trials: 2 };

export async function storeThroughput(opts = {}) {
  const o = { ...STORE_DEFAULTS, ...opts };
  return scoped(async (scope) => {
    const on = await peerchatPass(scope, {
      ...o,
      peerOptions: (dataDir) => ({ store: Store.open({ dataDir }) }),
    });
    const off = await peerchatPass(scope, o);
    const runs = await interleave(o.trials, o.warmup, o.count, { storeOn: on, storeOff: off });
    return {
      row: 'store-throughput',
      // the baseline here is peerchat with the store off; no target is set for it yet
      metrics: [
        metric('native throughput, store on (msg/s)', 'msg/s', runs.storeOn.best, runs.storeOff.best),
      ],
      details: {
        count: o.count,
        window: o.window,
        bytes: o.bytes,
        trials: o.trials,
        ...runs,
        warnings: scope.warningCodes,
      },
    };
  });
}
