import { PassThrough } from 'node:stream';
import t, { type Test } from 'tap';
import { Store } from '../../src/store/store.js';
import { KEY_A, KEY_B, msg, out } from './helpers.js';

// every Store starts a writer thread; under tap's TypeScript loader each one compiles its sources
t.setTimeout(180_000);

function open(t: Test, opts: Partial<Parameters<typeof Store.open>[0]> = {}, dir = t.testdir()): Store {
  const store = Store.open({ dataDir: dir, ...opts });
  t.teardown(() => store.close());
  return store;
}

async function collect(store: Store, format: 'jsonl' | 'csv'): Promise<{ n: number; text: string }> {
  const sink = new PassThrough();
  let text = '';
  sink.on('data', (d: Buffer) => {
    text += d.toString();
  });
  const n = await store.export(format, sink);
  return { n, text };
}

t.test('incoming: stored once, duplicates resolve false', async (t) => {
  const store = open(t);
  const m = msg({ text: 'hi' });
  const [a, b] = await Promise.all([store.recordIncoming(m), store.recordIncoming(m)]);
  t.same([a, b], [true, false], 'the second copy in the same batch is a duplicate');
  t.equal(await store.recordIncoming(m), false);
  const got = store.get(m.id)!;
  t.match(got, {
    id: m.id,
    from: m.from,
    text: 'hi',
    direction: 'in',
    state: 'acked',
    key: KEY_A,
    verified: true,
  });
  t.equal(store.history().length, 1);
});

t.test('incoming: classic rows have no key; a clashing id from another peer is kept', async (t) => {
  const store = open(t);
  const c = msg({ protocol: 'classic', key: null, fingerprint: null, verified: false });
  t.equal(await store.recordIncoming(c), true);
  t.equal(store.get(c.id)!.key, null);
  const clash = msg({ id: c.id, key: KEY_B, text: 'other' });
  t.equal(await store.recordIncoming(clash), true, 'not swallowed as a duplicate');
  t.same(
    store.history().map((m) => m.text),
    ['hello', 'other'],
  );
});

t.test('incoming: bad fields from the network do not abort the batch', async (t) => {
  const store = open(t);
  const bad = msg({ ts: Number.NaN, protocol: 'weird' as never, name: 42 as never });
  const good = msg();
  t.same(await Promise.all([store.recordIncoming(bad), store.recordIncoming(good)]), [true, true]);
  t.equal(store.history().length, 2);
  t.equal(store.get(bad.id)!.protocol, 'classic');
});

t.test('outgoing states: queued -> sent -> acked, failed, no downgrade', async (t) => {
  const store = open(t);
  const m = out({ from: '127.0.0.1:5000' });
  await store.enqueue(m, KEY_B);
  t.equal(store.get(m.id)!.state, 'queued');
  t.same(
    store.queuedFor(KEY_B).map((r) => r.id),
    [m.id],
  );
  t.equal(await store.markSent(m.id), true);
  t.equal(store.get(m.id)!.state, 'sent');
  t.same(
    store.queuedFor(KEY_B).map((r) => r.id),
    [m.id],
    'a native row written but not acked is still resent',
  );
  t.equal(await store.markAcked(m.id), true);
  t.equal(store.get(m.id)!.state, 'acked');
  t.same(store.queuedFor(KEY_B), []);
  t.equal(await store.markFailed(m.id, 'late'), false, 'an acked row never becomes failed');
  t.equal(await store.markSent(m.id), false);
  t.equal(store.get(m.id)!.state, 'acked');
  t.equal(await store.markAcked('nope'), false);

  const f = out();
  await store.enqueue(f, KEY_B);
  await store.markFailed(f.id, 'boom');
  t.match(store.get(f.id), { state: 'failed', error: 'boom' });
  t.same(store.queuedFor(KEY_B), []);
  t.equal(await store.markAcked(f.id), true, 'a late ack still counts as delivered');
  t.equal(store.get(f.id)!.state, 'acked');
  await t.rejects(store.enqueue(f, KEY_B), { code: 'ERR_USAGE' }, 'an id is stored once');
});

t.test('queuedFor: only native rows of that key, oldest first; classic never', async (t) => {
  const store = open(t);
  const a1 = out({ text: '1' });
  const b1 = out({ text: 'b' });
  const a2 = out({ text: '2' });
  const c = out({ protocol: 'classic', key: null, text: 'classic' });
  await Promise.all([
    store.enqueue(a1, KEY_A),
    store.enqueue(b1, KEY_B),
    store.enqueue(a2, KEY_A),
    store.enqueue(c, null),
  ]);
  t.same(
    store.queuedFor(KEY_A).map((m) => m.text),
    ['1', '2'],
  );
  t.same(store.queuedFor('unverified'), [], 'classic rows are never resent');
  t.same(
    store.outbox().map((m) => m.text),
    ['1', 'b', '2', 'classic'],
  );
  await store.markSent(c.id);
  t.same(
    store.outbox().map((m) => m.text),
    ['1', 'b', '2'],
    'a classic row leaves the outbox once written',
  );
});

t.test('a classic row interrupted before markSent is failed at the next open, never resent', async (t) => {
  const dir = t.testdir();
  const a = Store.open({ dataDir: dir });
  const c = out({ protocol: 'classic', key: null });
  const n = out();
  await a.enqueue(c, null);
  await a.enqueue(n, KEY_A);
  await a.close();
  const b = open(t, {}, dir);
  t.match(b.get(c.id), { state: 'failed', error: /never resent/ });
  t.equal(b.get(n.id)!.state, 'queued', 'the native row stays queued');
  t.same(
    b.queuedFor(KEY_A).map((m) => m.id),
    [n.id],
  );
});

t.test('outbox limits per peer and in total', async (t) => {
  const store = open(t, { outbox: { maxPerPeer: 3, maxTotal: 5 } });
  const as = [out(), out(), out()];
  await Promise.all(as.map((m) => store.enqueue(m, KEY_A)));
  await t.rejects(store.enqueue(out(), KEY_A), { code: 'ERR_OUTBOX_FULL', message: /maxPerPeer/ });
  // limits also hold for writes not committed yet
  const bs = [out(), out()];
  const pending = bs.map((m) => store.enqueue(m, KEY_B));
  await t.rejects(store.enqueue(out(), KEY_B), { code: 'ERR_OUTBOX_FULL', message: /maxTotal/ });
  await Promise.all(pending);
  await store.enqueue(out({ protocol: 'classic', key: null }), null);
  t.pass('classic sends do not count');
  await store.markAcked(as[0]!.id);
  await store.enqueue(out(), KEY_A);
  t.pass('an ack frees a place');
  await t.rejects(store.enqueue(out(), 'c'.repeat(64)), { code: 'ERR_OUTBOX_FULL' });
  await store.markFailed(as[1]!.id, 'x');
  t.same(store.outbox().filter((m) => m.state === 'failed').length, 1, 'a failed row stays in the outbox');
  await store.enqueue(out(), 'c'.repeat(64));
  await t.rejects(store.retry(as[1]!.id), { code: 'ERR_OUTBOX_FULL' }, 'retry respects limits');
  t.equal(await store.drop(as[2]!.id), true);
  const again = await store.retry(as[1]!.id);
  t.equal(again.state, 'queued');
  t.equal(store.get(as[2]!.id), null, 'dropped rows are gone');
  t.equal(await store.drop(as[0]!.id), false, 'an acked row is not in the outbox');
});

t.test('limits are rebuilt on open', async (t) => {
  const dir = t.testdir();
  const a = Store.open({ dataDir: dir, outbox: { maxPerPeer: 2 } });
  await a.enqueue(out(), KEY_A);
  await a.enqueue(out(), KEY_A);
  await a.close();
  const b = open(t, { outbox: { maxPerPeer: 2 } }, dir);
  await t.rejects(b.enqueue(out(), KEY_A), { code: 'ERR_OUTBOX_FULL' });
});

t.test('expire: old queued rows become failed and are returned once; retry re-queues', async (t) => {
  const store = open(t, { outbox: { expireMs: 1000 } });
  const old = out({ text: 'old' });
  const acked = out({ text: 'acked' });
  await store.enqueue(old, KEY_A);
  await store.enqueue(acked, KEY_A);
  const ackDone = store.markAcked(acked.id); // still queued in memory when expire runs
  const now = Date.now();
  t.same(store.expire(now), [], 'nothing is old yet');
  const expired = store.expire(now + 5000);
  await ackDone;
  t.same(
    expired.map((m) => [m.text, m.state]),
    [['old', 'failed']],
  );
  t.match(expired[0]!.error, /expired/);
  t.equal(store.get(acked.id)!.state, 'acked', 'the queued ack won');
  t.same(store.expire(now + 10_000), [], 'returned once');
  t.same(store.queuedFor(KEY_A), []);
  t.same(
    store.outbox().map((m) => m.state),
    ['failed'],
  );
  await store.retry(old.id);
  t.same(store.expire(Date.now() + 500), [], 'retry restarts the expiry clock');
  t.same(
    store.queuedFor(KEY_A).map((m) => m.id),
    [old.id],
  );
  await t.rejects(store.retry(acked.id), { code: 'ERR_USAGE' });
});

t.test('retention by count and age keeps the outbox and pending rows', async (t) => {
  const dir = t.testdir();
  const store = Store.open({ dataDir: dir, retention: { maxMessages: 3 } });
  const queued = out({ text: 'queued' });
  await store.enqueue(queued, KEY_A);
  const held = msg({ text: 'held' });
  await store.recordIncoming(held);
  await store.addPending(held.id);
  for (let i = 0; i < 6; i++) await store.recordIncoming(msg({ text: `m${i}` }));
  t.equal(await store.applyRetention(), 3);
  t.same(
    store.history({ limit: Infinity }).map((m) => m.text),
    ['queued', 'held', 'm3', 'm4', 'm5'],
  );
  await store.close();

  const aged = open(t, { retention: { days: 1, maxMessages: null } }, dir);
  t.equal(await aged.applyRetention(Date.now() + 2 * 24 * 3600 * 1000), 3);
  t.same(
    aged.history({ limit: Infinity }).map((m) => m.text),
    ['queued', 'held'],
  );
});

t.test('pending survives close and re-open', async (t) => {
  const dir = t.testdir();
  const a = Store.open({ dataDir: dir });
  const m1 = msg({ text: 'one' });
  const m2 = msg({ text: 'two' });
  await a.recordIncoming(m1);
  await a.recordIncoming(m2);
  await a.addPending(m2.id);
  void a.addPending(m1.id); // not awaited: close flushes it
  await a.close();
  const b = open(t, {}, dir);
  t.same(
    b.takePending().map((m) => m.text),
    ['two', 'one'],
  );
  t.same(b.takePending(), [], 'taking clears the queue');
});

t.test('history: peer, limit, before, search', async (t) => {
  const store = open(t);
  const other = '127.0.0.1:9999';
  for (let i = 0; i < 5; i++) await store.recordIncoming(msg({ text: `a${i}` }));
  await store.recordIncoming(msg({ from: other, key: KEY_B, text: '100% _sure_' }));
  await store.enqueue(out({ from: other, text: 'reply' }), KEY_B);
  t.same(
    store.history({ limit: 2 }).map((m) => m.text),
    ['100% _sure_', 'reply'],
    'newest rows, oldest first',
  );
  t.same(
    store.history({ peer: other }).map((m) => m.text),
    ['100% _sure_', 'reply'],
  );
  t.same(
    store.history({ peer: KEY_B }).map((m) => m.text),
    ['100% _sure_', 'reply'],
    'by key',
  );
  const all = store.history();
  t.same(
    store.history({ before: all[3]!.id, limit: 2 }).map((m) => m.text),
    ['a1', 'a2'],
    'page back from an id',
  );
  t.same(store.history({ before: 'unknown-id' }), []);
  t.same(store.history({ before: 0 }), [], 'a time before everything');
  t.equal(store.history({ before: Date.now() + 1000 }).length, 7);
  t.same(
    store.history({ search: '%' }).map((m) => m.text),
    ['100% _sure_'],
    'LIKE wildcards are literal',
  );
  t.same(
    store.history({ search: 'A3' }).map((m) => m.text),
    ['a3'],
    'case-insensitive',
  );
});

t.test('history: since is filtered in SQL, before the limit', async (t) => {
  const store = open(t);
  await store.recordIncoming(msg({ text: 'old' }));
  const cut = Date.now() + 1;
  while (Date.now() <= cut) await new Promise((r) => setImmediate(r));
  for (let i = 0; i < 3; i++) await store.recordIncoming(msg({ text: `new${i}` }));
  t.same(
    store.history({ since: cut, limit: 2 }).map((m) => m.text),
    ['new1', 'new2'],
  );
  t.same(
    store.history({ since: cut, limit: 10 }).map((m) => m.text),
    ['new0', 'new1', 'new2'],
    'the old row is not counted against the limit',
  );
  t.same(store.history({ since: 0 }).length, 4);
});

t.test('peers seen', async (t) => {
  const store = open(t);
  await store.seenPeer({ address: '127.0.0.1:1', key: KEY_A, name: 'alice', at: 1000 });
  await store.seenPeer({ address: '127.0.0.1:1', key: KEY_A, name: null, at: 5000 });
  await store.seenPeer({ address: '127.0.0.1:2', name: 'old', at: 2000 });
  t.same(store.peers(), [
    { address: '127.0.0.1:1', key: KEY_A, name: 'alice', firstSeen: 1000, lastSeen: 5000 },
    { address: '127.0.0.1:2', key: null, name: 'old', firstSeen: 2000, lastSeen: 2000 },
  ]);
});

t.test('export jsonl and csv', async (t) => {
  const store = open(t);
  const tricky = 'say "hi", then\nnew line';
  await store.recordIncoming(msg({ text: tricky, name: 'a,b' }));
  await store.enqueue(out({ text: 'plain', protocol: 'classic', key: null }), null);
  const j = await collect(store, 'jsonl');
  t.equal(j.n, 2);
  const rows = j.text
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l));
  t.equal(rows.length, 2);
  t.match(rows[0], { text: tricky, name: 'a,b', direction: 'in', state: 'acked', key: KEY_A });
  t.match(rows[1], { text: 'plain', direction: 'out', state: 'queued', key: null });

  const c = await collect(store, 'csv');
  t.equal(c.n, 2);
  const lines = c.text.split('\r\n');
  t.equal(
    lines[0],
    'id,direction,peer,key,fingerprint,name,text,ts,protocol,verified,state,error,created_at,createdAt,updatedAt',
  );
  t.match(c.text, '"a,b","say ""hi"", then\nnew line"');
  t.match(lines.at(-2), /,plain,\d+,classic,/);
  await t.rejects(store.export('xml' as never, new PassThrough()), { code: 'ERR_USAGE' });
});

t.test('export pages through many rows and waits for a slow reader', async (t) => {
  const store = open(t);
  await Promise.all(Array.from({ length: 1200 }, (_, i) => store.recordIncoming(msg({ text: `m${i}` }))));
  const sink = new PassThrough({ highWaterMark: 1024 });
  const lines: string[] = [];
  let buf = '';
  sink.on('data', (d: Buffer) => {
    buf += d.toString();
  });
  const n = await store.export('jsonl', sink);
  lines.push(...buf.trimEnd().split('\n'));
  t.equal(n, 1200);
  t.equal(lines.length, 1200);
  t.equal(JSON.parse(lines[1199]!).text, 'm1199');
});
