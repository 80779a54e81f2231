import t from 'tap';
import { RoomLog } from '../../src/rooms/log/index.js';
import { collect, link, TOPIC, tempDir, waitForSize } from './log-helpers.js';

t.test('two members exchange over a loopback secret-stream connection', async (t) => {
  const a = await RoomLog.open({ dataDir: tempDir(), topic: TOPIC });
  const b = await RoomLog.open({ dataDir: tempDir(), topic: TOPIC });
  const seenB = collect(b);
  const l = await link(a, b, { tcp: true });
  t.teardown(async () => {
    l.close();
    await a.close();
    await b.close();
  });
  const e1 = await a.append('hello from a', { name: 'alice' });
  await b.append('hello from b', { name: 'bob' });
  await waitForSize(b, 2);
  await waitForSize(a, 2);
  t.same((await b.entries()).map((e) => e.text).sort(), ['hello from a', 'hello from b']);
  const got = seenB.find((e) => e.id === e1.id);
  t.equal(got?.author, a.key);
  t.equal(got?.late, false);
});
