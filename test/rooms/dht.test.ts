import t from 'tap';
import { startSwarm, withDeadline } from '../../src/rooms/dht.js';

t.test('withDeadline: true when the promise settles (even rejected), false at the deadline', async (t) => {
  t.equal(await withDeadline(Promise.resolve(), 1000), true);
  t.equal(await withDeadline(Promise.reject(new Error('x')), 1000), true);
  t.equal(await withDeadline(new Promise(() => {}), 10), false);
});

t.test('startSwarm refuses an empty bootstrap list before starting a node', async (t) => {
  await t.rejects(
    startSwarm({
      bootstrap: [],
      keyPair: { publicKey: Buffer.alloc(32), secretKey: Buffer.alloc(64) },
      onConnection: () => {},
    }),
    { code: 'ERR_ROOM_BOOTSTRAP' },
  );
});
