import { PassThrough } from 'node:stream';
import t from 'tap';
import { PeerchatError } from '../../src/errors.js';
import { attachJson, JsonWriter, toJsonValue } from '../../src/repl/json.js';
import { collect, FakePeer, makeMessage, makePeerInfo } from './fake-peer.js';

const lines = (text: string) =>
  text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));

t.test('each peer event becomes exactly the documented object', async (t) => {
  const peer = new FakePeer();
  const out = new PassThrough();
  const seen = collect(out);
  const off = attachJson(peer, new JsonWriter(out));
  const alice = makePeerInfo({ address: '1.1.1.1:1', name: 'alice', protocol: 'native', connected: true });
  peer.emit('listening', { name: 'me', host: '0.0.0.0', port: 5000, id: null });
  peer.emit('peer-discovered', alice);
  peer.emit('peer-connected', alice);
  const msg = peer.deliver({
    from: '1.1.1.1:1',
    name: 'alice',
    text: 'hi\n"quoted"',
    protocol: 'native',
    verified: true,
    key: 'cd'.repeat(32),
    fingerprint: 'cdcd:cdcd:cdcd:cdcd',
  });
  peer.emit('message', { ...msg, direction: 'out' });
  peer.emit('peer-disconnected', alice, 'lost');
  peer.emit('warning', { code: 'ERR_BAD_FRAME', message: 'bad frame', cause: new Error('x') });
  peer.emit('sent', msg, { id: msg.id, to: '1.1.1.1:1', protocol: 'native', state: 'acked' });
  peer.emit('message-delivered', { ...msg, direction: 'out' });
  off();
  peer.emit('peer-discovered', alice);
  t.same(lines(seen.text()), [
    { type: 'listening', name: 'me', host: '0.0.0.0', port: 5000, id: null },
    { type: 'peer-discovered', peer: '1.1.1.1:1' },
    { type: 'peer-connected', peer: '1.1.1.1:1', name: 'alice', protocol: 'native' },
    {
      type: 'message',
      from: '1.1.1.1:1',
      name: 'alice',
      text: 'hi\n"quoted"',
      protocol: 'native',
      verified: true,
      id: msg.id,
      ts: msg.ts,
      peer: '1.1.1.1:1',
      direction: 'in',
    },
    { type: 'peer-disconnected', peer: '1.1.1.1:1', name: 'alice', reason: 'lost' },
    { type: 'warning', code: 'ERR_BAD_FRAME', message: 'bad frame' },
    {
      type: 'message-delivered',
      id: msg.id,
      peer: '1.1.1.1:1',
      name: 'alice',
      text: 'hi\n"quoted"',
      ts: msg.ts,
    },
  ]);
  t.ok(
    seen
      .text()
      .split('\n')
      .slice(0, -1)
      .every((l) => !l.includes('\n')),
    'one object per line',
  );
  t.equal(peer.listenerCount('peer-discovered'), 0, 'detached');
});

t.test('announce writes listening for a peer that already listens', async (t) => {
  const peer = new FakePeer();
  const out = new PassThrough();
  const seen = collect(out);
  attachJson(peer, new JsonWriter(out), { announce: true });
  t.same(lines(seen.text()), [
    { type: 'listening', name: 'me', host: '127.0.0.1', port: 5000, id: 'ab'.repeat(32) },
  ]);
});

t.test('result and error objects', async (t) => {
  const out = new PassThrough();
  const seen = collect(out);
  const w = new JsonWriter(out);
  w.result({ to: '1.1.1.1:1', state: 'acked' });
  w.result(undefined);
  w.error(new PeerchatError('ERR_UNKNOWN_TARGET', 'no peer matches "x"'));
  w.error(new TypeError('nope'));
  t.same(lines(seen.text()), [
    { type: 'result', value: { to: '1.1.1.1:1', state: 'acked' } },
    { type: 'result', value: null },
    { type: 'error', code: 'ERR_UNKNOWN_TARGET', message: 'no peer matches "x"' },
    { type: 'error', code: 'ERR_SCRIPT', message: 'TypeError: nope' },
  ]);
  out.end();
  w.result(1);
  t.pass('writing after the end is ignored');
});

t.test(
  'a burst of messages is one write at the end of the tick; any other event writes them first',
  async (t) => {
    const writes: string[] = [];
    const out = new PassThrough();
    const realWrite = out.write.bind(out);
    out.write = ((chunk: string) => {
      writes.push(chunk);
      return realWrite(chunk);
    }) as typeof out.write;
    const a = new JsonWriter(out);
    const b = new JsonWriter(out); // another writer on the same stream shares the batch
    for (let i = 0; i < 100; i++) (i % 2 ? a : b).message(makeMessage({ from: '1.1.1.1:1', text: `m${i}` }));
    t.equal(writes.length, 0, 'nothing written during the burst');
    await new Promise((r) => setImmediate(r));
    t.equal(writes.length, 1, 'one write for 100 messages');
    t.same(
      lines(writes[0]!).map((e) => e.text),
      Array.from({ length: 100 }, (_, i) => `m${i}`),
      'in order',
    );
    a.message(makeMessage({ from: '1.1.1.1:1', text: 'before' }));
    b.result('after');
    t.same(
      lines(writes.slice(1).join('')).map((e) => e.text ?? e.value),
      ['before', 'after'],
      'a result writes the waiting message first, at once',
    );
    a.message(makeMessage({ from: '1.1.1.1:1', text: 'lost' }));
    out.end();
    await new Promise((r) => setImmediate(r));
    t.equal(writes.length, 2, 'a message still waiting when the stream ended is dropped, not thrown');
  },
);

t.test('toJsonValue makes anything serialisable', async (t) => {
  const circular: Record<string, unknown> = { a: 1 };
  circular.self = circular;
  const shared = { x: 1 };
  t.same(toJsonValue(circular), { a: 1, self: '[Circular]' });
  t.same(toJsonValue([shared, shared]), [{ x: 1 }, { x: 1 }], 'siblings may share an object');
  t.equal(toJsonValue(10n), '10');
  t.equal(toJsonValue(Number.NaN), null);
  t.same(toJsonValue(new Map([['k', new Set([1, 2])]])), { k: [1, 2] });
  t.same(toJsonValue({ f: () => 1, u: undefined, d: new Date(0) }), { d: '1970-01-01T00:00:00.000Z' });
  t.equal(toJsonValue(Buffer.from([1, 255])), '01ff');
  t.same(toJsonValue(new PeerchatError('ERR_USAGE', 'bad')), {
    name: 'PeerchatError',
    code: 'ERR_USAGE',
    message: 'bad',
  });
});
