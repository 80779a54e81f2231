/** The plugins' transforms on the message path, guarded: a transform that throws leaves the message as it was. */
import type { ChatMessage } from '../types.js';
import type { Interceptors } from './options.js';
import type { Warnings } from './warnings.js';

export type Transform = (msg: ChatMessage) => Promise<ChatMessage | null>;

export function guardedTransform(
  interceptors: Readonly<Interceptors>,
  dir: 'incoming' | 'outgoing',
  warnings: Warnings,
): Transform {
  return async (msg) => {
    const fn = interceptors[dir];
    if (!fn) return msg;
    try {
      return await fn(msg);
    } catch (err) {
      warnings.fail(err, `${dir} transform failed; the message was left as it was`);
      return msg;
    }
  };
}
