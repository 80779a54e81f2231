import fc from 'fast-check';
import t from 'tap';
import * as m from '../../../src/net/native/messages.js';
import { isPrintableName } from '../../../src/sanitize.js';

const hex = (n: number) => fc.uint8Array({ minLength: n, maxLength: n }).map((b) => Buffer.from(b));
const NP = { noNullPrototype: true };
// a grapheme can be many code points: keep each string within its field's byte limit
const str = (maxLength: number, maxBytes: number) =>
  fc.string({ unit: 'grapheme', maxLength }).filter((s) => Buffer.byteLength(s) <= maxBytes);

// names are printable only (issue 15 #9): the decoder refuses the rest
const arbName = str(64, m.MAX_NAME_BYTES).filter(isPrintableName);
const arbHello = fc.record(
  {
    name: arbName,
    port: fc.integer({ min: 0, max: 65535 }),
    version: str(16, m.MAX_VERSION_BYTES),
    capabilities: fc.array(str(16, m.MAX_CAPABILITY_BYTES), { maxLength: m.MAX_CAPABILITIES }),
  },
  NP,
);
const arbChat = fc.record(
  {
    id: fc.uuid(),
    ts: fc.nat({ max: m.MAX_TS }),
    text: fc.string({ unit: 'binary', maxLength: 2000 }),
  },
  NP,
);
const arbEntry = fc.record(
  {
    address: fc.constantFrom('127.0.0.1:4000', '[::1]:1', '127.0.1.255:65535'),
    key: fc.option(hex(32), { nil: null }),
    name: fc.option(arbName, { nil: null }),
  },
  NP,
);
const arbAnswer = fc.record(
  {
    requestId: fc.nat({ max: Number.MAX_SAFE_INTEGER }),
    entries: fc.array(arbEntry, { maxLength: 40 }),
  },
  NP,
);

const codecs = {
  hello: [m.hello, arbHello],
  chat: [m.chat, arbChat],
  ack: [m.ack, fc.record({ id: fc.string({ maxLength: 36 }) }, NP)],
  peersRequest: [m.peersRequest, fc.record({ requestId: fc.nat({ max: Number.MAX_SAFE_INTEGER }) }, NP)],
  peersAnswer: [m.peersAnswer, arbAnswer],
  exit: [m.exit, fc.constant({})],
} as const;

for (const [name, [codec, arb]] of Object.entries(codecs)) {
  t.test(`${name}: encode/decode round trip`, async (t) => {
    fc.assert(
      fc.property(arb as fc.Arbitrary<unknown>, (value) => {
        const c = codec as m.Codec<unknown>;
        const buf = m.encode(c, value);
        t.strictSame(m.safeDecode(c, buf), value);
        t.equal(m.encodingLength(c, value), buf.byteLength);
      }),
      { numRuns: 200 },
    );
  });

  t.test(`${name}: no byte sequence throws out of the safe decoder`, async (t) => {
    const c = codec as m.Codec<unknown>;
    const safe = m.safe(c);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const state = { start: 0, end: bytes.byteLength, buffer: bytes };
        safe.decode(state); // throws = property fails
        m.safeDecode(c, bytes);
      }),
      { numRuns: 2000 },
    );
    // truncations of valid messages, too
    fc.assert(
      fc.property(arb as fc.Arbitrary<unknown>, fc.nat(), (value, cut) => {
        const buf = m.encode(c, value);
        const part = buf.subarray(0, buf.byteLength === 0 ? 0 : cut % buf.byteLength);
        const got = m.safeDecode(c, part);
        if (part.byteLength < buf.byteLength && name !== 'exit')
          t.ok(got === null || typeof got === 'object');
      }),
      { numRuns: 300 },
    );
    t.pass('never threw');
  });
}

t.test('decoders enforce their limits', async (t) => {
  const long = 'x'.repeat(m.MAX_TEXT_BYTES + 1);
  t.equal(
    m.safeDecode(m.chat, m.encode(m.chat, { id: 'a', ts: 1, text: long })),
    null,
    'text over the limit',
  );
  t.equal(
    m.safeDecode(m.ack, m.encode(m.ack, { id: 'i'.repeat(m.MAX_ID_BYTES + 1) })),
    null,
    'id over the limit',
  );
  const tooMany = { name: 'a', port: 1, version: '1', capabilities: Array(m.MAX_CAPABILITIES + 1).fill('c') };
  t.equal(m.safeDecode(m.hello, m.encode(m.hello, tooMany)), null, 'too many capabilities');
  t.equal(
    m.safeDecode(m.hello, m.encode(m.hello, { ...tooMany, capabilities: [], port: 70000 })),
    null,
    'port',
  );
  const entries = Array(m.MAX_PEER_ENTRIES + 1).fill({ address: '1.2.3.4:5', key: null, name: null });
  t.equal(m.safeDecode(m.peersAnswer, m.encode(m.peersAnswer, { requestId: 1, entries })), null, 'entries');
  // a huge announced count with no bytes behind it must not allocate or loop
  t.equal(m.safeDecode(m.peersAnswer, Buffer.from([1, 0xfe, 0xff, 0xff, 0xff, 0x7f])), null, 'count');
  const badFlags = Buffer.concat([Buffer.from([1, 1, 9]), m.encode(m.ack, { id: '1.2.3.4:5' })]);
  t.equal(m.safeDecode(m.peersAnswer, badFlags), null, 'unknown entry flags');
});

t.test('trailing bytes are ignored (room for appended fields)', async (t) => {
  const buf = Buffer.concat([m.encode(m.chat, { id: 'x', ts: 1, text: 'y' }), Buffer.from([1, 2, 3])]);
  t.strictSame(m.safeDecode(m.chat, buf), { id: 'x', ts: 1, text: 'y' });
  // the ack's first appended field is its refusal (refusal.test.ts); what follows it is ignored
  const refused = { id: 'x', refused: { reason: 1, retryAfterMs: 2 } };
  const more = Buffer.concat([m.encode(m.ack, refused), Buffer.from([1, 2, 3])]);
  t.strictSame(m.safeDecode(m.ack, more), refused);
});

t.test('a peer key must be 32 bytes to encode', async (t) => {
  t.throws(() =>
    m.encode(m.peersAnswer, {
      requestId: 1,
      entries: [{ address: 'a:1', key: Buffer.alloc(3), name: null }],
    }),
  );
});
