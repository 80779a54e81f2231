/** The merged read order: by timestamp, then author key, then position in the author's core. */
export interface OrderKey {
  ts: number;
  author: string; // hex
  seq: number;
}

export function compareEntries(a: OrderKey, b: OrderKey): number {
  if (a.ts !== b.ts) return a.ts - b.ts;
  if (a.author !== b.author) return a.author < b.author ? -1 : 1;
  return a.seq - b.seq;
}

/** Index of the first element of sorted `list` that sorts after `key` (binary search). */
export function insertionPoint<T extends OrderKey>(list: T[], key: OrderKey): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareEntries(list[mid] as T, key) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
