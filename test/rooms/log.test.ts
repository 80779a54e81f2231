import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import {
  type RoomEntry,
  RoomLog,
  type RoomLogWarning,
  roomLogEncryptionKey,
} from '../../src/rooms/log/index.js';
import { collect, link, TOPIC, tempDir, waitForSize, waitUntil } from './log-helpers.js';

/** Every file under `dir`, concatenated. */
function allBytes(dir: string): Buffer {
  const parts: Buffer[] = [];
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const p = path.join(dir, name);
    if (statSync(p).isFile()) parts.push(readFileSync(p));
  }
  return Buffer.concat(parts);
}

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
  t.equal(got?.author, a.key, 'verified by author key');
  t.equal(got?.late, false, 'said while connected: live');
  t.equal(got?.local, false);
  await waitUntil(a, () => a.holders(e1) === 1, 5000, 'b holds it');
  t.equal(a.holders(e1), 1, 'one member holds the message');
  const members = b.members();
  t.same(members.map((m) => m.key).sort(), [a.key, b.key].sort());
  const alice = members.find((m) => m.key === a.key);
  t.equal(alice?.name, 'alice');
  t.equal(alice?.online, true);
  t.same(alice?.peers, [l.aKey.toString('hex')], 'bound to the Noise key of the session that announced it');
});

t.test('a late joiner reads 200 messages of authors who left, relayed by a third member', async (t) => {
  const a = await RoomLog.open({ dataDir: tempDir(), topic: TOPIC });
  const b = await RoomLog.open({ dataDir: tempDir(), topic: TOPIC });
  const relay = await RoomLog.open({ dataDir: tempDir(), topic: TOPIC });
  const la = await link(a, relay);
  const lb = await link(b, relay);
  const written: string[] = [];
  for (let i = 0; i < 100; i++) {
    written.push((await a.append(`a${i}`, { name: 'alice' })).id);
    written.push((await b.append(`b${i}`, { name: 'bob' })).id);
  }
  await waitForSize(relay, 200);
  la.close();
  lb.close();
  const aKey = a.key;
  await a.close();
  await b.close();

  const late = await RoomLog.open({ dataDir: tempDir(), topic: TOPIC });
  const seen = collect(late);
  const l = await link(late, relay);
  t.teardown(async () => {
    l.close();
    await late.close();
    await relay.close();
  });
  await waitForSize(late, 200);
  const entries = await late.entries();
  t.equal(entries.length, 200);
  const byAuthor = entries.filter((e) => e.author === aKey).map((e) => e.text);
  t.same(
    byAuthor,
    Array.from({ length: 100 }, (_, i) => `a${i}`),
    "each author's messages in the order written",
  );
  const sorted = [...entries].sort(
    (x, y) => x.ts - y.ts || (x.author < y.author ? -1 : x.author > y.author ? 1 : x.seq - y.seq),
  );
  t.same(
    entries.map((e) => e.id),
    sorted.map((e) => e.id),
    'across authors by ts, tie-break author key + seq',
  );
  t.same(new Set(entries.map((e) => e.id)), new Set(written));
  t.ok(seen.length === 200 && seen.every((e) => e.late), 'all arrived by catch-up: late');
  const members = late.members();
  t.equal(members.length, 4, 'both offline authors, the relay and itself');
  t.equal(members.find((m) => m.key === aKey)?.online, false, 'the author is offline');
  t.equal(members.find((m) => m.key === aKey)?.name, 'alice');
});

t.test('a member that restarts catches up from another member, with what it had on disk', async (t) => {
  const dirD = tempDir();
  const a = await RoomLog.open({ dataDir: tempDir(), topic: TOPIC });
  const c = await RoomLog.open({ dataDir: tempDir(), topic: TOPIC });
  let d = await RoomLog.open({ dataDir: dirD, topic: TOPIC });
  const lac = await link(a, c);
  let ldc = await link(d, c);
  for (let i = 0; i < 10; i++) await a.append(`before ${i}`, { name: 'alice' });
  await d.append('mine', { name: 'dave' });
  await waitForSize(d, 11);
  const dKey = d.key;
  ldc.close();
  await d.close();
  for (let i = 0; i < 50; i++) await a.append(`while away ${i}`, { name: 'alice' });
  await waitForSize(c, 61);
  lac.close();
  await a.close();

  d = await RoomLog.open({ dataDir: dirD, topic: TOPIC });
  t.equal(d.key, dKey, 'same author core after a restart');
  t.equal(d.size, 11, 'what it held is read from disk');
  const seen = collect(d);
  ldc = await link(d, c);
  t.teardown(async () => {
    ldc.close();
    await d.close();
    await c.close();
  });
  await waitForSize(d, 61);
  const texts = (await d.entries()).map((e) => e.text);
  t.same(
    texts.slice(-50),
    Array.from({ length: 50 }, (_, i) => `while away ${i}`),
  );
  t.equal(seen.length, 50, 'only the missed ones are new');
  t.ok(seen.every((e) => e.late));
});

t.test('a block tampered on the wire is rejected and the session reported', async (t) => {
  const a = await RoomLog.open({ dataDir: tempDir(), topic: TOPIC });
  const b = await RoomLog.open({ dataDir: tempDir(), topic: TOPIC });
  const marker = Buffer.from('TAMPER-ME');
  let tampered = 0;
  const l = await link(a, b, {
    tamperToB(frame) {
      const at = frame.indexOf(marker);
      if (at < 0) return frame;
      tampered++;
      const copy = Buffer.from(frame);
      copy[at] = 'X'.charCodeAt(0);
      return copy;
    },
  });
  t.teardown(async () => {
    l.close();
    await a.close();
    await b.close();
  });
  const warnings: RoomLogWarning[] = [];
  b.on('warning', (w: RoomLogWarning) => warnings.push(w));
  await a.append('TAMPER-ME please', { name: 'alice' });
  await waitUntil(b, () => warnings.length > 0, 5000, 'a warning');
  t.ok(tampered > 0, 'the block was changed in flight');
  t.equal(warnings[0]?.code, 'ERR_BAD_FRAME');
  t.match(warnings[0]?.message, /failed verification/);
  t.equal(warnings[0]?.remote, l.aKey.toString('hex'), 'names the session it came from');
  t.ok(warnings[0]?.mux, 'gives the mux so the owner can drop the session');
  t.equal(b.size, 0, 'nothing forged was indexed');
  t.same(await b.entries(), []);
});

t.test('a secret room: no plaintext on disk or on the wire; members with the key read it', async (t) => {
  const key = roomLogEncryptionKey('team', 'a long shared passphrase');
  const plain = 'the launch code is 0451';
  const dirs = { a: tempDir(), b: tempDir(), open: tempDir(), openB: tempDir() };
  const a = await RoomLog.open({ dataDir: dirs.a, topic: TOPIC, encryptionKey: key });
  const b = await RoomLog.open({ dataDir: dirs.b, topic: TOPIC, encryptionKey: key });
  const l = await link(a, b, { tap: true });
  await a.append(plain, { name: 'alice' });
  await waitForSize(b, 1);
  t.equal((await b.entries())[0]?.text, plain, 'a member with the key reads it');
  // control: the same in an open room shows the plaintext, so the recording does see blocks
  const o = await RoomLog.open({ dataDir: dirs.open, topic: TOPIC });
  const ob = await RoomLog.open({ dataDir: dirs.openB, topic: TOPIC });
  const lo = await link(o, ob, { tap: true });
  await o.append(plain, { name: 'alice' });
  await waitForSize(ob, 1);
  t.teardown(async () => {
    l.close();
    lo.close();
    await Promise.all([a.close(), b.close(), o.close(), ob.close()]);
  });
  const needle = Buffer.from(plain);
  t.ok(Buffer.concat(lo.frames).includes(needle), 'control: open-room frames carry the plaintext');
  t.ok(allBytes(dirs.open).includes(needle) || allBytes(dirs.openB).includes(needle), 'control: on disk');
  t.ok(l.frames.length > 0);
  t.notOk(Buffer.concat(l.frames).includes(needle), 'secret room: not in the frames a relay would see');
  await a.close();
  await b.close();
  t.notOk(allBytes(dirs.a).includes(needle), 'secret room: not on the author disk');
  t.notOk(allBytes(dirs.b).includes(needle), 'secret room: not on the reader disk');
});

t.test(
  'a member without the secret relays a secret room blind: holds ciphertext, a keyed joiner reads it',
  async (t) => {
    const key = roomLogEncryptionKey('team', 'a long shared passphrase');
    const relayDir = tempDir();
    const a = await RoomLog.open({ dataDir: tempDir(), topic: TOPIC, encryptionKey: key });
    const relay = await RoomLog.open({ dataDir: relayDir, topic: TOPIC });
    const relayWarnings: RoomLogWarning[] = [];
    relay.on('warning', (w: RoomLogWarning) => relayWarnings.push(w));
    const la = await link(a, relay);
    for (let i = 0; i < 20; i++) await a.append(`classified ${i}`, { name: 'alice' });
    await waitUntil(relay, () => relayWarnings.length >= 20, 5000, 'the relay saw 20 blocks');
    la.close();
    await a.close();
    const late = await RoomLog.open({ dataDir: tempDir(), topic: TOPIC, encryptionKey: key });
    const l = await link(late, relay);
    t.teardown(async () => {
      l.close();
      await late.close();
    });
    await waitForSize(late, 20);
    t.same(
      (await late.entries()).map((e) => e.text),
      Array.from({ length: 20 }, (_, i) => `classified ${i}`),
    );
    t.equal(relay.size, 0, 'the relay could not read a single entry');
    await relay.close();
    t.notOk(allBytes(relayDir).includes(Buffer.from('classified')), 'no plaintext on the relay disk');
  },
);

t.test('a member without the room key cannot read a secret room', async (t) => {
  const key = roomLogEncryptionKey('team', 'a long shared passphrase');
  const a = await RoomLog.open({ dataDir: tempDir(), topic: TOPIC, encryptionKey: key });
  const wrong = await RoomLog.open({
    dataDir: tempDir(),
    topic: TOPIC,
    encryptionKey: roomLogEncryptionKey('team', 'another passphrase'),
  });
  const warnings: RoomLogWarning[] = [];
  wrong.on('warning', (w: RoomLogWarning) => warnings.push(w));
  const l = await link(a, wrong);
  t.teardown(async () => {
    l.close();
    await a.close();
    await wrong.close();
  });
  await a.append('secret words', { name: 'alice' });
  await waitUntil(wrong, () => warnings.length > 0, 5000, 'a warning');
  t.equal(warnings[0]?.code, 'ERR_BAD_FRAME', 'decrypts to garbage, rejected as an entry');
  t.equal(wrong.size, 0);
});

t.test('retention keeps the newest maxEntries, locally and for a late joiner', async (t) => {
  const a = await RoomLog.open({ dataDir: tempDir(), topic: TOPIC, maxEntries: 30 });
  for (let i = 0; i < 80; i++) await a.append(`m${i}`, { name: 'alice', ts: 1_000_000 + i });
  t.equal(a.size, 30);
  t.same(
    (await a.entries()).map((e) => e.text),
    Array.from({ length: 30 }, (_, i) => `m${i + 50}`),
  );
  t.same(
    (await a.entries({ limit: 5 })).map((e) => e.text),
    ['m75', 'm76', 'm77', 'm78', 'm79'],
  );
  const page = await a.entries({ limit: 2, before: (await a.entries({ limit: 5 }))[0] as RoomEntry });
  t.same(
    page.map((e) => e.text),
    ['m73', 'm74'],
    'pages back with before',
  );

  const late = await RoomLog.open({ dataDir: tempDir(), topic: TOPIC, maxEntries: 10 });
  const l = await link(a, late);
  t.teardown(async () => {
    l.close();
    await a.close();
    await late.close();
  });
  await waitForSize(late, 10);
  // a little longer: nothing older may arrive
  await new Promise((r) => setImmediate(r));
  t.equal(late.size, 10);
  t.same(
    (await late.entries()).map((e) => e.text),
    Array.from({ length: 10 }, (_, i) => `m${i + 70}`),
  );
});

t.test('forget deletes the local data; close stops appends', async (t) => {
  const dataDir = tempDir();
  const a = await RoomLog.open({ dataDir, topic: TOPIC });
  await a.append('x', { name: 'alice' });
  await a.forget();
  t.throws(() => readdirSync(a.dir), { code: 'ENOENT' });
  await t.rejects(a.append('y', { name: 'alice' }), { code: 'ERR_CLOSED' });
});

t.test('bad options are refused with codes', async (t) => {
  await t.rejects(RoomLog.open({ dataDir: tempDir(), topic: Buffer.alloc(3) }), { code: 'ERR_INVALID_ROOM' });
  await t.rejects(RoomLog.open({ dataDir: tempDir(), topic: TOPIC, maxEntries: 0 }), {
    code: 'ERR_CONFIG_INVALID',
  });
  await t.rejects(RoomLog.open({ dataDir: tempDir(), topic: TOPIC, encryptionKey: Buffer.alloc(5) }), {
    code: 'ERR_INVALID_ROOM',
  });
  const a = await RoomLog.open({ dataDir: tempDir(), topic: TOPIC });
  t.teardown(() => a.close());
  await t.rejects(a.append('x'.repeat(16 * 1024 + 1), { name: 'alice' }), { code: 'ERR_MESSAGE_TOO_LONG' });
  await t.rejects(a.append('x', { name: 'evil\x1b[2J' }), { code: 'ERR_BAD_FRAME' });
  t.equal(a.size, 0);
});

t.test('appends made at once are written as one batch, in call order', async (t) => {
  const a = await RoomLog.open({ dataDir: tempDir(), topic: TOPIC });
  t.teardown(() => a.close());
  const entries = await Promise.all(
    Array.from({ length: 1500 }, (_, i) => a.append(`n${i}`, { name: 'alice' })),
  );
  t.same(
    entries.map((e) => e.seq),
    Array.from({ length: 1500 }, (_, i) => i),
  );
  t.equal(a.size, 1500);
  const late = a.append('after close', { name: 'alice' });
  await a.close();
  t.equal((await late).seq, 1500, 'an append already made is stored before close finishes');
});
