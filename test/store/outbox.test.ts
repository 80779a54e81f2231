import { join } from 'node:path';
import t, { type Test } from 'tap';
import { Outbox } from '../../src/store/outbox.js';
import { Store, type StoredMessage } from '../../src/store/store.js';
import type { ChatMessage } from '../../src/types.js';
import { KEY_B, out } from './helpers.js';

// every Store starts a writer thread; under tap's TypeScript loader each one compiles its sources
t.setTimeout(180_000);

function setup(t: Test, dir = t.testdir(), opts: ConstructorParameters<typeof Outbox>[1] = {}) {
  const store = Store.open({ dataDir: dir });
  const outbox = new Outbox(store, opts);
  t.teardown(async () => {
    outbox.close();
    await store.close();
  });
  return { store, outbox, dir };
}

t.test('queued while offline, resent with the same id on attach, acked once', async (t) => {
  const { store, outbox } = setup(t);
  const m = out({ text: 'offline' });
  t.match(await outbox.send(m, KEY_B, { wait: false }), { id: m.id, state: 'queued' });
  const written: ChatMessage[] = [];
  const resent = outbox.attach(KEY_B, (x) => {
    written.push(x);
  });
  t.same(
    resent.map((x) => x.id),
    [m.id],
  );
  t.same(
    written.map((x) => x.id),
    [m.id],
  );
  await outbox.ack(m.id);
  t.equal(store.get(m.id)!.state, 'acked');
  t.same(
    outbox.attach(KEY_B, () => {}),
    [],
    'nothing left to resend',
  );
});

t.test('wait: resolves acked after the ack commits, queued when no ack comes', async (t) => {
  const { store, outbox } = setup(t, undefined, { ackWaitMs: 60_000 });
  outbox.attach(KEY_B, (x) => {
    setImmediate(() => void outbox.ack(x.id));
  });
  const r = await outbox.send(out({ text: 'ack me' }), KEY_B);
  t.equal(r.state, 'acked');
  t.equal(store.get(r.id)!.state, 'acked', 'committed before send resolved');

  // no ack ever comes: the wait ends, the message stays queued
  const quiet = setup(t, undefined, { ackWaitMs: 1 });
  quiet.outbox.attach(KEY_B, () => {});
  const silent = await quiet.outbox.send(out({ text: 'silence' }), KEY_B);
  t.equal(silent.state, 'queued');
  t.match(silent.error, /resent/);
  await quiet.store.markSent('flush'); // resolves after the enqueue's batch committed
  t.same(
    quiet.store.queuedFor(KEY_B).map((x) => x.text),
    ['silence'],
  );
});

t.test(
  'a session drop leaves messages queued; the next session resends; no double write per session',
  async (t) => {
    const { outbox } = setup(t);
    const first: string[] = [];
    const w1 = (x: ChatMessage) => {
      first.push(x.id);
    };
    outbox.attach(KEY_B, w1);
    const m = out();
    await outbox.send(m, KEY_B, { wait: false });
    t.same(first, [m.id]);
    t.same(outbox.attach(KEY_B, w1).length, 1, 're-attach lists it');
    outbox.detach(KEY_B, () => {}); // an older session's detach does not remove the current one
    const second: string[] = [];
    outbox.attach(KEY_B, (x) => {
      second.push(x.id);
    });
    outbox.detach(KEY_B, w1);
    await outbox.send(out({ id: `${m.id}-2` }), KEY_B, { wait: false });
    t.same(second, [m.id, `${m.id}-2`]);
  },
);

t.test('a failing write keeps the message queued and reports it', async (t) => {
  const errors: unknown[] = [];
  const { store, outbox } = setup(t, undefined, { onWriteError: (_m, err) => errors.push(err) });
  outbox.attach(KEY_B, () => Promise.reject(new Error('socket gone')));
  const m = out();
  await outbox.send(m, KEY_B, { wait: false });
  await t.resolveMatch(new Promise((resolve) => setImmediate(() => resolve(errors.length))), 1);
  t.equal(store.get(m.id)!.state, 'queued');
});

t.test('classic: written once and marked sent, or failed and rethrown; never resent', async (t) => {
  const { store, outbox } = setup(t);
  const c = out({ protocol: 'classic', key: null });
  t.match(await outbox.sendClassic(c, () => {}), { state: 'sent' });
  t.equal(store.get(c.id)!.state, 'sent');
  const bad = out({ protocol: 'classic', key: null });
  await t.rejects(
    outbox.sendClassic(bad, () => {
      throw new Error('EPIPE');
    }),
    { message: 'EPIPE' },
  );
  t.match(store.get(bad.id), { state: 'failed', error: 'EPIPE' });
  t.same(
    store.outbox().map((x) => x.id),
    [bad.id],
  );
});

t.test('expiry fails waiting sends and reports each message', async (t) => {
  const expired: StoredMessage[] = [];
  const { outbox } = setup(t, undefined, { onExpired: (m) => expired.push(m), ackWaitMs: 60_000 });
  const m = out();
  const waiting = outbox.send(m, KEY_B);
  // expire() first commits the queued enqueue, then fails it
  t.equal(outbox.expireNow(Date.now() + 30 * 24 * 3600 * 1000).length, 1);
  const r = await waiting;
  t.equal(r.state, 'failed');
  t.match(r.error, /expired/);
  t.same(
    expired.map((x) => x.id),
    [m.id],
  );
});

t.test('end to end with lost acks and a sender restart: each message shown exactly once', async (t) => {
  const dir = t.testdir();
  const senderDir = join(dir, 'sender');
  const receiver = Store.open({ dataDir: join(dir, 'receiver') });
  t.teardown(() => receiver.close());
  const shown: string[] = [];
  let dropAcks = true;
  let sender = setup(t, senderDir);

  // the receiver stores before it acks; an ack may be lost on the way back
  const deliveries: Promise<void>[] = [];
  const session = (ob: Outbox) => (x: ChatMessage) => {
    const delivery = (async () => {
      const fresh = await receiver.recordIncoming({ ...x, direction: 'in', key: 'a'.repeat(64) });
      if (fresh) shown.push(x.text);
      if (!dropAcks || Math.random() < 0.5) await ob.ack(x.id);
    })();
    deliveries.push(delivery);
    return delivery;
  };
  const N = 200;
  sender.outbox.attach(KEY_B, session(sender.outbox));
  await Promise.all(
    Array.from({ length: N }, (_, i) => sender.outbox.send(out({ text: `m${i}` }), KEY_B, { wait: false })),
  );
  await Promise.all(deliveries);

  sender.outbox.close();
  await sender.store.close();
  dropAcks = false;
  sender = setup(t, senderDir);
  const resent = sender.outbox.attach(KEY_B, session(sender.outbox));
  t.ok(resent.length > 0, `${resent.length} unacked messages resent after the restart`);
  await Promise.all(deliveries);
  t.same(sender.store.queuedFor(KEY_B), [], 'everything acked');
  t.equal(shown.length, N, 'each shown once');
  t.equal(new Set(shown).size, N);
  t.equal(receiver.history({ limit: Infinity }).length, N, 'each stored once');
});

t.test('a full outbox rejects send and leaves no waiter behind', async (t) => {
  const store = Store.open({ dataDir: t.testdir(), outbox: { maxPerPeer: 1 } });
  const outbox = new Outbox(store, { ackWaitMs: 60_000 });
  t.teardown(async () => {
    outbox.close();
    await store.close();
  });
  await outbox.send(out(), KEY_B, { wait: false });
  await t.rejects(outbox.send(out(), KEY_B), { code: 'ERR_OUTBOX_FULL' });
});
