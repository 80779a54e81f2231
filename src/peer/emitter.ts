/** The Peer's events, typed by PeerEvents. */
import { EventEmitter } from 'node:events';
import type { PeerEvents } from './api.js';

// Typed here, not by EventEmitter<T>: each @types/node release types the generic emitter
// differently, and a plugin author's project may use another one than ours.
export class PeerEmitter extends EventEmitter {
  override on<E extends keyof PeerEvents>(event: E, fn: (...args: PeerEvents[E]) => void): this {
    return super.on(event as never, fn as never);
  }
  override once<E extends keyof PeerEvents>(event: E, fn: (...args: PeerEvents[E]) => void): this {
    return super.once(event as never, fn as never);
  }
  override off<E extends keyof PeerEvents>(event: E, fn: (...args: PeerEvents[E]) => void): this {
    return super.off(event as never, fn as never);
  }
  override emit<E extends keyof PeerEvents>(event: E, ...args: PeerEvents[E]): boolean {
    return super.emit(event, ...args);
  }
}
