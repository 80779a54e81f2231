import { duplexPair } from 'node:stream';
import NoiseSecretStream from '@hyperswarm/secret-stream';
import c from 'compact-encoding';
import Protomux from 'protomux';
import t from 'tap';
import { announce } from '../../src/rooms/log/announce.js';
import {
  ANNOUNCE_PROTOCOL,
  announceChannelId,
  decodeEntry,
  encodeEntry,
  MAX_ANNOUNCED_AUTHORS,
  MAX_CLOCK_SKEW_MS,
  RoomLog,
  type RoomLogWarning,
} from '../../src/rooms/log/index.js';
import { compareEntries } from '../../src/rooms/log/order.js';
import { TOPIC, tempDir, waitUntil } from './log-helpers.js';

const NOW = 1_700_000_000_000;
const good = { id: 'id-1', ts: NOW, name: 'alice', text: 'hi' };

function block(o: unknown): Buffer {
  return Buffer.from(JSON.stringify(o));
}

t.test('an entry round-trips', async (t) => {
  t.same(decodeEntry(encodeEntry(good), NOW), good);
});

t.test('every field of a block is a checked claim', async (t) => {
  const bad: Array<[string, unknown, string]> = [
    ['not JSON', null, 'ERR_BAD_FRAME'],
    ['array', [], 'ERR_BAD_FRAME'],
    ['other version', { ...good, v: 2 }, 'ERR_BAD_FRAME'],
    ['no id', { v: 1, ...good, id: '' }, 'ERR_BAD_FRAME'],
    ['long id', { v: 1, ...good, id: 'x'.repeat(129) }, 'ERR_BAD_FRAME'],
    ['negative ts', { v: 1, ...good, ts: -1 }, 'ERR_BAD_FRAME'],
    ['fractional ts', { v: 1, ...good, ts: 1.5 }, 'ERR_BAD_FRAME'],
    ['ts as string', { v: 1, ...good, ts: '1' }, 'ERR_BAD_FRAME'],
    ['future ts', { v: 1, ...good, ts: NOW + MAX_CLOCK_SKEW_MS + 1 }, 'ERR_BAD_FRAME'],
    ['escape in name', { v: 1, ...good, name: 'a\x1b[31m' }, 'ERR_BAD_FRAME'],
    ['bidi in name', { v: 1, ...good, name: 'a\u202e' }, 'ERR_BAD_FRAME'],
    ['long name', { v: 1, ...good, name: 'n'.repeat(257) }, 'ERR_BAD_FRAME'],
    ['text not a string', { v: 1, ...good, text: 5 }, 'ERR_MESSAGE_TOO_LONG'],
    ['long text', { v: 1, ...good, text: 'x'.repeat(16 * 1024 + 1) }, 'ERR_MESSAGE_TOO_LONG'],
  ];
  for (const [what, o, code] of bad) {
    const bytes = o === null ? Buffer.from('{nope') : block(o);
    t.throws(() => decodeEntry(bytes, NOW), { code }, what);
  }
  t.throws(() => decodeEntry(Buffer.alloc(200_000, 0x20), NOW), { code: 'ERR_BAD_FRAME' }, 'oversized block');
  t.ok(decodeEntry(block({ v: 1, ...good, ts: NOW + MAX_CLOCK_SKEW_MS }), NOW), 'skew within bounds is fine');
});

t.test('merged order: ts, then author key, then seq', async (t) => {
  const list = [
    { ts: 2, author: 'aa', seq: 0 },
    { ts: 1, author: 'bb', seq: 1 },
    { ts: 1, author: 'bb', seq: 0 },
    { ts: 1, author: 'aa', seq: 5 },
  ].sort(compareEntries);
  t.same(list, [
    { ts: 1, author: 'aa', seq: 5 },
    { ts: 1, author: 'bb', seq: 0 },
    { ts: 1, author: 'bb', seq: 1 },
    { ts: 2, author: 'aa', seq: 0 },
  ]);
});

t.test('announce: bounded, decodes to null instead of throwing', async (t) => {
  const own = Buffer.alloc(32, 1);
  const enc = c.encode(announce, { own, authors: [Buffer.alloc(32, 2)] });
  t.same(c.decode(announce, enc), { own, authors: [Buffer.alloc(32, 2)] });
  const tooMany = Buffer.concat([own, Buffer.from(c.encode(c.uint, MAX_ANNOUNCED_AUTHORS + 1))]);
  t.equal(c.decode(announce, tooMany), null, 'count over the limit, checked before allocating');
  const short = Buffer.concat([own, Buffer.from(c.encode(c.uint, 3)), Buffer.alloc(40)]);
  t.equal(c.decode(announce, short), null, 'count larger than the bytes');
});

t.test('a malformed announce from a session is reported with the session key', async (t) => {
  const log = await RoomLog.open({ dataDir: tempDir(), topic: TOPIC });
  const [x, y] = duplexPair();
  const na = new NoiseSecretStream(true, x);
  const nb = new NoiseSecretStream(false, y);
  na.on('error', () => {});
  nb.on('error', () => {});
  t.teardown(async () => {
    na.destroy();
    nb.destroy();
    await log.close();
  });
  const warnings: RoomLogWarning[] = [];
  log.on('warning', (w: RoomLogWarning) => warnings.push(w));
  log.replicate(Protomux.from(na as never));
  const evil = Protomux.from(nb as never).createChannel({
    protocol: ANNOUNCE_PROTOCOL,
    id: announceChannelId(TOPIC),
    handshake: c.raw,
  });
  evil?.open(Buffer.from('garbage'));
  await waitUntil(log, () => warnings.length > 0, 5000, 'a warning');
  t.equal(warnings[0]?.code, 'ERR_BAD_FRAME');
  t.equal(warnings[0]?.remote, nb.publicKey?.toString('hex'));
  t.equal(log.members().length, 1, 'no author learned from it');
});
