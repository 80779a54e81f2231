/** The plugins' transforms on the message path, guarded. */
import t from 'tap';
import { guardedTransform } from '../../src/peer/transforms.js';
import { Warnings } from '../../src/peer/warnings.js';
import type { ChatMessage } from '../../src/types.js';

const msg = { id: 'x', text: 'hi' } as ChatMessage;

t.test('no transform: the message as it is; a transform may change or drop it', async (t) => {
  const w = new Warnings();
  t.equal(await guardedTransform({}, 'incoming', w)(msg), msg);
  t.match(await guardedTransform({ outgoing: (m) => ({ ...m, text: 'HI' }) }, 'outgoing', w)(msg), {
    text: 'HI',
  });
  t.equal(await guardedTransform({ incoming: async () => null }, 'incoming', w)(msg), null);
});

t.test('a transform that throws leaves the message as it was, with a warning', async (t) => {
  const w = new Warnings();
  const warned: unknown[] = [];
  w.on('warning', (x) => warned.push(x));
  const out = await guardedTransform(
    {
      incoming: () => {
        throw new Error('bad plugin');
      },
    },
    'incoming',
    w,
  )(msg);
  t.equal(out, msg);
  t.match(warned, [{ message: /incoming transform failed; the message was left as it was/ }]);
});
