/** Retention by count: a flood's senders give up their oldest rows before anyone else's history. */
import t from 'tap';
import { Store } from '../../src/store/store.js';
import { KEY_A, KEY_B, msg, out } from './helpers.js';

t.setTimeout(120_000);

const classic = (ip: string, port: number, text: string) =>
  msg({ from: `${ip}:${port}`, name: 'x', key: null, verified: false, protocol: 'classic', text });

t.test('a classic flood from four IPs cannot wipe the history of the other peers', async (t) => {
  const store = Store.open({ dataDir: t.testdir(), retention: { maxMessages: 1000 } });
  t.teardown(() => store.close());
  await store.recordIncoming(msg({ text: 'from alice, before the flood' }));
  await store.enqueue(out({ text: 'to bob, before the flood', key: KEY_B, from: '127.0.0.9:9' }), KEY_B);
  await store.recordIncoming(classic('127.0.0.1', 5001, 'from carol, before the flood'));
  // the flood: each line claims another port, from four IPs, past the limit four times over
  for (const ip of ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5']) {
    await Promise.all(
      Array.from({ length: 1000 }, (_, i) => store.recordIncoming(classic(ip, 20_000 + i, 'spam'))),
    );
  }
  await store.applyRetention();
  const all = store.history({ limit: Infinity });
  // at most the newest 1,000 rows' worth, plus bob's message still in the outbox (never deleted)
  t.ok(all.length <= 1001, `${all.length} rows kept`);
  for (const text of [
    'from alice, before the flood',
    'to bob, before the flood',
    'from carol, before the flood',
  ])
    t.ok(
      all.some((m) => m.text === text),
      text,
    );
  t.equal(all.filter((m) => m.text === 'spam').length, all.length - 3, 'the flood gave up its own rows');
  t.equal(all.at(-1)?.text, 'spam', 'the newest flood rows are the ones kept');
});

t.test('with no heavy sender the oldest rows go, as before', async (t) => {
  const store = Store.open({ dataDir: t.testdir(), retention: { maxMessages: 10 } });
  t.teardown(() => store.close());
  // 200 senders of one message each: nobody holds 1% of the recent rows more than the others
  for (let i = 0; i < 200; i++)
    await store.recordIncoming(msg({ key: i.toString(16).padStart(64, '0'), text: `m${i}` }));
  await store.applyRetention();
  const kept = store.history({ limit: Infinity }).map((m) => m.text);
  t.same(
    kept,
    Array.from({ length: 10 }, (_, i) => `m${190 + i}`),
  );
});

t.test('one busy native conversation is trimmed first; a quiet contact keeps its lines', async (t) => {
  const store = Store.open({ dataDir: t.testdir(), retention: { maxMessages: 100 } });
  t.teardown(() => store.close());
  await store.recordIncoming(msg({ key: KEY_B, text: 'quiet one' }));
  await Promise.all(
    Array.from({ length: 300 }, (_, i) => store.recordIncoming(msg({ key: KEY_A, text: `busy ${i}` }))),
  );
  await store.applyRetention();
  const kept = store.history({ limit: Infinity });
  t.equal(kept.length, 100);
  t.equal(kept[0]?.text, 'quiet one');
  t.equal(kept.at(-1)?.text, 'busy 299');
});
