/** Chat-mode holding (the REPL's): over the real inbox and a fake core, and over a real store. */
import { EventEmitter } from 'node:events';
import t from 'tap';
import { Inbox } from '../../src/peer/inbox.js';
import { Pending } from '../../src/repl/pending.js';
import { Store } from '../../src/store/store.js';
import type { ChatMessage } from '../../src/types.js';
import { fakeCore } from '../helpers/core.js';
import { tempDir } from '../helpers/peers.js';
import { until } from '../helpers/wait.js';

const keep = async (m: ChatMessage) => m;

/** An inbox whose events also reach `events` (what a Peer does with them). */
function inboxWithEvents(store: Store | null = null) {
  const f = fakeCore({ store });
  const events = new EventEmitter();
  const record = f.core.emit;
  f.core.emit = (event, ...args) => {
    record(event, ...args);
    return events.emit(event, ...args);
  };
  return { f, events, inbox: new Inbox(f.core, keep) };
}

function msg(id: string, from: string): ChatMessage {
  return {
    id,
    from,
    name: 'x',
    text: id,
    protocol: 'classic',
    verified: false,
    key: null,
    fingerprint: null,
    ts: 1,
    direction: 'in',
  };
}

t.test('chat mode: messages from other peers are held (and still emitted), then taken once', async (t) => {
  const { f, events, inbox } = inboxWithEvents();
  const fails: unknown[] = [];
  const pending = new Pending(events, null, (err) => fails.push(err));
  pending.setTarget('127.10.0.1:1');
  inbox.fromClaim({ id: 'h1', ts: 1, text: 'from b' }, () => {}, { host: '127.10.0.2', port: 2, name: 'b' });
  inbox.fromClaim({ id: 'h2', ts: 1, text: 'from a' }, () => {}, { host: '127.10.0.1', port: 1, name: 'a' });
  await until(() => f.named('message').length === 2);
  t.same(
    pending.peek().map((m) => m.text),
    ['from b'],
  );
  t.same(
    pending.take().map((m) => m.text),
    ['from b'],
  );
  t.same(pending.take(), []);
  t.same(fails, []);
});

t.test('nothing is held without a target, nor after it is cleared', async (t) => {
  const events = new EventEmitter();
  const pending = new Pending(events, null, () => {});
  events.emit('message', msg('before', '127.10.0.2:2'));
  t.equal(pending.target, null);
  pending.setTarget('127.10.0.1:1');
  t.equal(pending.target, '127.10.0.1:1');
  events.emit('message', msg('during', '127.10.0.2:2'));
  pending.setTarget(null);
  events.emit('message', msg('after', '127.10.0.2:2'));
  t.same(
    pending.take().map((m) => m.id),
    ['during'],
  );
});

t.test('with a store, held messages are kept in its pending table and survive a reopen', async (t) => {
  const dir = tempDir(t);
  const store = Store.open({ dataDir: dir });
  const { events, inbox } = inboxWithEvents(store);
  const pending = new Pending(events, store, () => {});
  pending.setTarget('127.10.0.1:1');
  inbox.fromClaim({ id: 's1', ts: 1, text: 'kept' }, () => {}, { host: '127.10.0.2', port: 2, name: 'b' });
  await until(() => pending.peek().length === 1);
  await store.close();
  const again = Store.open({ dataDir: dir });
  t.teardown(() => again.close());
  const later = new Pending(new EventEmitter(), again, () => {});
  t.match(later.take(), [{ text: 'kept', name: 'b' }]);
  t.same(later.take(), [], 'taking clears the queue');
});

t.test('a store that fails to keep a held message is reported, the message still held', async (t) => {
  const events = new EventEmitter();
  const store = {
    addPending: () => Promise.reject(new Error('disk full')),
    takePending: () => [],
  } as unknown as Store;
  const fails: unknown[] = [];
  const pending = new Pending(events, store, (err) => fails.push(err));
  pending.setTarget('127.10.0.1:1');
  events.emit('message', msg('m1', '127.10.0.2:2'));
  await until(() => fails.length === 1);
  t.match(fails, [{ message: 'disk full' }]);
  t.equal(pending.peek().length, 1);
});

t.test('held before other listeners see the message, even one that throws', async (t) => {
  const events = new EventEmitter();
  events.on('message', () => {
    throw new Error('a listener failed');
  });
  const pending = new Pending(events, null, () => {});
  pending.setTarget('127.10.0.1:1');
  t.throws(() => events.emit('message', msg('m1', '127.10.0.2:2')), { message: 'a listener failed' });
  t.same(
    pending.take().map((m) => m.id),
    ['m1'],
  );
});
