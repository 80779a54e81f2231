/**
 * Native throughput with the store on (issue 9): the native throughput workload with a SQLite
 * store on both Peers, against the same workload with the store off, in the same run.
 */
import { Store } from '../../dist/store/store.js';
import { interleave, metric, scoped, targets } from '../lib/util.js';
import { DEFAULTS, peerchatPass } from './native-throughput.js';

/** Fewer messages than the store-off row: every message costs three durable writes. */
export const STORE_DEFAULTS = { ...DEFAULTS, count: 5000, warmup: 1000, trials: 2 };

export async function storeThroughput(opts = {}) {
  const o = { ...STORE_DEFAULTS, ...opts };
  return scoped(async (scope) => {
    const stores = [];
    const rss0 = process.memoryUsage().rss;
    const on = await peerchatPass(scope, {
      ...o,
      peerOptions: (dataDir) => {
        const store = Store.open({ dataDir });
        stores.push(store);
        return { store };
      },
    });
    // two stores, so two writer threads (plus their connections), before any message
    const rssPerStore = Math.round((process.memoryUsage().rss - rss0) / stores.length);
    const off = await peerchatPass(scope, o);
    const runs = await interleave(o.trials, o.warmup, o.count, { storeOn: on, storeOff: off });
    return {
      row: 'store-throughput',
      // the baseline here is peerchat with the store off; issue 16 sets the target
      metrics: [
        metric(
          'native throughput, store on (msg/s)',
          'msg/s',
          runs.storeOn.best,
          runs.storeOff.best,
          targets.minRatio(0.6),
        ),
      ],
      details: {
        count: o.count,
        window: o.window,
        bytes: o.bytes,
        trials: o.trials,
        ...runs,
        // natural group commit: the largest transaction each store's writer thread committed
        maxBatch: stores.map((s) => s.stats.maxBatch),
        transactions: stores.map((s) => s.stats.transactions),
        rssPerStoreBytes: rssPerStore,
        warnings: scope.warningCodes,
      },
    };
  });
}
