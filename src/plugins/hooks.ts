/** The closed list of hooks and their kinds: checked at load, used by the host to run them. */
import type { HookKind, HookName, ObserveHookName, TransformHookName } from './types.js';

export const HOOK_KINDS = {
  onStart: 'observe',
  onStop: 'observe',
  onMessage: 'observe',
  onSent: 'observe',
  onDelivered: 'observe',
  onPeerConnected: 'observe',
  onPeerDisconnected: 'observe',
  onPeerDiscovered: 'observe',
  transformIncoming: 'transform',
  transformOutgoing: 'transform',
} as const satisfies Record<HookName, HookKind>;

export const HOOK_NAMES = Object.keys(HOOK_KINDS) as HookName[];

export function isHookName(name: string): name is HookName {
  return Object.hasOwn(HOOK_KINDS, name);
}

export function isObserveHook(name: HookName): name is ObserveHookName {
  return HOOK_KINDS[name] === 'observe';
}

export function isTransformHook(name: HookName): name is TransformHookName {
  return HOOK_KINDS[name] === 'transform';
}

/** The closest hook name to a misspelt one, for the error text; null when nothing is close. */
export function suggestHook(name: string): HookName | null {
  let best: HookName | null = null;
  let bestDistance = Math.max(3, Math.floor(name.length / 3)) + 1;
  for (const candidate of HOOK_NAMES) {
    const d = distance(name.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** Levenshtein distance; names are short, so the quadratic table is fine. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
    }
    prev = row;
  }
  return prev[b.length]!;
}
