import t from 'tap';
import { pipePair, timeouts, waitFor } from './helpers.js';

t.test('pipe: hello, chat, ack', async (t) => {
  const { a, b } = pipePair();
  t.teardown(() => {
    a.destroy();
    b.destroy();
  });
  const [ha, hb] = await Promise.all([a.ready, b.ready]);
  t.equal(ha.name, 'bob');
  t.equal(hb.name, 'alice');
  t.equal(a.remoteKey?.length, 64);
  b.on('chat', (chat, ack) => {
    t.equal(chat.text, 'hi');
    ack();
  });
  await a.sendChat({ id: 'm1', ts: Date.now(), text: 'hi' });
  t.pass('acked');
});
