/** The one incoming road, over fake sessions and a real store: sender, de-dup, transform, store, ack, emit. */
import t from 'tap';
import { MAX_INBOUND_PENDING, MAX_INBOUND_PENDING_BYTES } from '../../src/defaults.js';
import type { Session } from '../../src/net/session.js';
import { Inbox } from '../../src/peer/inbox.js';
import { Store } from '../../src/store/store.js';
import type { ChatMessage } from '../../src/types.js';
import { FakeSession, fakeCore } from '../helpers/core.js';
import { tempDir } from '../helpers/peers.js';
import { until } from '../helpers/wait.js';

const KEY = 'a'.repeat(64);
const keep = async (m: ChatMessage) => m;

function nativeRecord(f: ReturnType<typeof fakeCore>) {
  const [rec] = f.core.table.upsert('127.0.0.1:5000', '127.0.0.1', 5000);
  Object.assign(rec, { name: 'alice', key: KEY, fingerprint: 'fp', protocol: 'native' });
  const session = new FakeSession('native', KEY) as unknown as Session;
  rec.session = session;
  return { rec, session };
}

t.test('a native chat becomes a verified message from its session peer, acked once shown', async (t) => {
  const f = fakeCore();
  const inbox = new Inbox(f.core, keep);
  const { rec, session } = nativeRecord(f);
  let acks = 0;
  inbox.fromSession(rec, session, { id: 'm1', ts: 42, text: 'hi' }, () => acks++);
  await until(() => f.named('message').length === 1);
  t.match(f.named('message')[0], [
    { id: 'm1', from: '127.0.0.1:5000', name: 'alice', key: KEY, verified: true, protocol: 'native', ts: 42 },
  ]);
  t.equal(acks, 1);
  inbox.fromSession(rec, session, { id: 'm1', ts: 42, text: 'hi' }, () => acks++);
  t.equal(acks, 2, 'a repeat is acked at once');
  t.equal(f.named('message').length, 1, 'and not shown again');
});

t.test('a classic chat is from the claimed address, discovered there, never verified', async (t) => {
  const f = fakeCore();
  const inbox = new Inbox(f.core, keep);
  inbox.fromClaim({ id: 'c1', ts: 1, text: 'yo' }, () => {}, { host: '127.10.0.2', port: 7000, name: 'old' });
  await until(() => f.named('message').length === 1);
  t.match(f.named('peer-discovered'), [[{ address: '127.10.0.2:7000', name: 'old', protocol: 'classic' }]]);
  t.match(f.named('message')[0], [{ from: '127.10.0.2:7000', name: 'old', verified: false, key: null }]);
  const { rec, session } = nativeRecord(f);
  inbox.fromSession(rec, session, { id: 'c2', ts: 1, text: 'via a session' }, () => {}, {
    host: '127.10.0.2',
    port: 7000,
    name: 'renamed',
  });
  await until(() => f.named('message').length === 2);
  t.match(f.named('message')[1], [{ from: '127.10.0.2:7000', name: 'renamed', protocol: 'classic' }]);
});

t.test(
  'a transform returning null drops the message but acks it; a throwing store does not ack',
  async (t) => {
    const f = fakeCore();
    const inbox = new Inbox(f.core, async (m) => (m.text === 'drop' ? null : m));
    const { rec, session } = nativeRecord(f);
    let acks = 0;
    inbox.fromSession(rec, session, { id: 'd1', ts: 1, text: 'drop' }, () => acks++);
    await until(() => acks === 1);
    t.equal(f.named('message').length, 0);

    // a store whose writes fail (a full disk)
    const store = {
      hasIncoming: () => false,
      recordIncoming: async () => {
        throw new Error('disk full');
      },
    } as unknown as Store;
    const g = fakeCore({ store });
    const failing = new Inbox(g.core, keep);
    const r = nativeRecord(g);
    let acked = 0;
    failing.fromSession(r.rec, r.session, { id: 's1', ts: 1, text: 'not kept' }, () => acked++);
    await until(() => g.warned.length === 1);
    t.match(g.warned[0], { message: /could not store message s1: disk full/ });
    t.equal(acked, 0, 'not kept, so not acked: the sender resends');
    t.equal(g.named('message').length, 0);
  },
);

t.test('with a store, a resend of a kept message is acked and not shown twice', async (t) => {
  const store = Store.open({ dataDir: tempDir(t) });
  t.teardown(() => store.close());
  const f = fakeCore({ store });
  const inbox = new Inbox(f.core, keep);
  const { rec, session } = nativeRecord(f);
  let acks = 0;
  inbox.fromSession(rec, session, { id: 'k1', ts: 1, text: 'once' }, () => acks++);
  await until(() => acks === 1);
  inbox.fromSession(rec, session, { id: 'k1', ts: 1, text: 'once' }, () => acks++);
  await until(() => acks === 2);
  t.equal(f.named('message').length, 1);
  t.equal(store.history().length, 1);
});

t.test('what waits to be stored is bounded over all senders: past it, chats are refused', async (t) => {
  let release!: () => void;
  const held = new Promise<void>((r) => {
    release = r;
  });
  const store = {
    hasIncoming: () => false,
    recordIncoming: async () => {
      await held; // a commit that takes its time (a slow disk, a flood)
      return true;
    },
  } as unknown as Store;
  const f = fakeCore({ store });
  const inbox = new Inbox(f.core, keep);
  const { rec, session } = nativeRecord(f);
  const answers: unknown[] = [];
  for (let i = 0; i < MAX_INBOUND_PENDING; i++) {
    inbox.fromSession(rec, session, { id: `p${i}`, ts: 1, text: 'x' }, (r) => answers.push(r));
  }
  t.same(inbox.inFlight, { messages: MAX_INBOUND_PENDING, bytes: MAX_INBOUND_PENDING });
  const refusals: unknown[] = [];
  inbox.fromSession(rec, session, { id: 'over', ts: 1, text: 'x' }, (r) => refusals.push(r));
  t.same(refusals, [{ reason: 'rate-limited', retryAfterMs: 1000 }], 'refused, with when to resend');
  t.match(f.warned.at(-1), {
    code: 'ERR_RATE_LIMITED',
    message: /8192 incoming messages are still being stored/,
  });
  const classic: unknown[] = [];
  inbox.fromClaim({ id: 'c-busy', ts: 1, text: 'x' }, (r) => classic.push(r), {
    host: '127.10.0.9',
    port: 7000,
    name: 'old',
  });
  t.same(classic, [], 'a classic chat (it cannot be resent) is taken, not refused');
  release();
  await until(() => answers.length === MAX_INBOUND_PENDING && classic.length === 1);
  t.same(classic, [undefined]);
  t.ok(
    answers.every((a) => a === undefined),
    'the held ones are acked once stored',
  );
  await until(() => inbox.inFlight.messages === 0);
  const later: unknown[] = [];
  inbox.fromSession(rec, session, { id: 'over', ts: 1, text: 'x' }, (r) => later.push(r));
  await until(() => later.length === 1);
  t.same(later, [undefined], 'the resend is taken once there is room');
});

t.test('the bytes waiting to be stored are bounded too, whatever the keys', async (t) => {
  const store = { hasIncoming: () => false, recordIncoming: () => new Promise(() => {}) } as unknown as Store;
  const f = fakeCore({ store });
  const inbox = new Inbox(f.core, keep);
  const text = 'y'.repeat(15_000);
  let refused = 0;
  for (let k = 0; k < 4; k++) {
    const [rec] = f.core.table.upsert(`127.0.0.1:${5000 + k}`, '127.0.0.1', 5000 + k);
    const key = String(k).repeat(64);
    Object.assign(rec, { key, protocol: 'native' });
    const session = new FakeSession('native', key) as unknown as Session;
    for (let i = 0; i < 300; i++) {
      inbox.fromSession(rec, session, { id: `${k}-${i}`, ts: 1, text }, (r) => {
        if (r) refused++;
      });
    }
  }
  t.ok(inbox.inFlight.bytes <= MAX_INBOUND_PENDING_BYTES, `${inbox.inFlight.bytes} bytes held`);
  t.equal(refused, 1200 - inbox.inFlight.messages, 'every chat past the bound was refused');
  t.ok(refused > 0);
});
