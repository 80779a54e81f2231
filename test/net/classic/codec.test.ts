import fc from 'fast-check';
import t from 'tap';
import { encodeFrame, FrameDecoder, parseFrame } from '../../../src/net/classic/codec.js';

t.test('fixtures from classic-protocol.md', async (t) => {
  t.same(parseFrame('CONNECT:alice:5000'), {
    ok: true,
    frame: { verb: 'CONNECT', name: 'alice', port: 5000, extra: [] },
  });
  t.same(parseFrame('ACK:bob:6000'), {
    ok: true,
    frame: { verb: 'ACK', name: 'bob', port: 6000, extra: [] },
  });
  t.same(parseFrame('CONNECT:alice:5000:peerchat/1'), {
    ok: true,
    frame: { verb: 'CONNECT', name: 'alice', port: 5000, extra: ['peerchat/1'] },
  });
  t.same(parseFrame('MESSAGE:alice:5000:hello: how are you?'), {
    ok: true,
    frame: { verb: 'MESSAGE', name: 'alice', port: 5000, text: 'hello: how are you?' },
  });
  t.same(parseFrame('QUERY'), { ok: true, frame: { verb: 'QUERY' } });
  t.same(parseFrame('PEERLIST:127.0.0.1:5000,127.0.0.1:6000'), {
    ok: true,
    frame: { verb: 'PEERLIST', keys: ['127.0.0.1:5000', '127.0.0.1:6000'], rejected: 0 },
  });
  t.same(parseFrame('PEERLIST:'), { ok: true, frame: { verb: 'PEERLIST', keys: [], rejected: 0 } });
  t.same(parseFrame('EXIT:5000'), { ok: true, frame: { verb: 'EXIT', port: 5000 } });
  t.same(parseFrame('127.0.0.1:5000 BlockMiners hi there'), {
    ok: true,
    frame: { verb: 'BARE', address: '127.0.0.1:5000', name: 'BlockMiners', text: 'hi there' },
  });
});

t.test('encodes the exact classic bytes, each ending with a newline', async (t) => {
  t.equal(encodeFrame({ verb: 'CONNECT', name: 'alice', port: 5000, extra: [] }), 'CONNECT:alice:5000\n');
  t.equal(
    encodeFrame({ verb: 'ACK', name: 'bob', port: 6000, extra: ['peerchat/1'] }),
    'ACK:bob:6000:peerchat/1\n',
  );
  t.equal(encodeFrame({ verb: 'MESSAGE', name: 'a', port: 1, text: 'x:y' }), 'MESSAGE:a:1:x:y\n');
  t.equal(encodeFrame({ verb: 'QUERY' }), 'QUERY\n');
  t.equal(
    encodeFrame({ verb: 'PEERLIST', keys: ['127.0.0.1:1', '127.0.0.1:2'], rejected: 0 }),
    'PEERLIST:127.0.0.1:1,127.0.0.1:2\n',
  );
  t.equal(encodeFrame({ verb: 'PEERLIST', keys: [], rejected: 0 }), 'PEERLIST:\n');
  t.equal(encodeFrame({ verb: 'EXIT', port: 5000 }), 'EXIT:5000\n');
});

t.test('bad frames come back as coded results', async (t) => {
  const cases: Array<[string, string]> = [
    ['HELLO', 'ERR_UNKNOWN_MESSAGE'],
    ['CONNECT:alice', 'ERR_BAD_FRAME'],
    ['CONNECT:alice:port', 'ERR_BAD_FRAME'],
    ['CONNECT:alice:0', 'ERR_BAD_FRAME'],
    ['CONNECT:alice:70000', 'ERR_BAD_FRAME'],
    ['CONNECT:al ice:5000', 'ERR_INVALID_NAME'],
    ['MESSAGE:bob smith:5000:hi', 'ERR_INVALID_NAME'],
    ['MESSAGE:bob:-1:hi', 'ERR_BAD_FRAME'],
    ['MESSAGE:bob:5000', 'ERR_BAD_FRAME'],
    ['EXIT:abc', 'ERR_BAD_FRAME'],
    ['EXIT', 'ERR_BAD_FRAME'],
  ];
  for (const [line, code] of cases) {
    const r = parseFrame(line);
    t.equal(r.ok, false, line);
    if (!r.ok) t.equal(r.code, code, line);
  }
  const r = parseFrame('PEERLIST:127.0.0.1:5000,nonsense,1.2.3.4:99999,::1:7000');
  t.same(r.ok && r.frame.verb === 'PEERLIST' && r.frame, {
    verb: 'PEERLIST',
    keys: ['127.0.0.1:5000', '::1:7000'],
    rejected: 2,
  });
});

t.test('decoder: split frames, several frames per read, unterminated tail', async (t) => {
  const d = new FrameDecoder();
  t.same(d.push(Buffer.from('MESSAGE:a:1:hel')), []);
  t.ok(d.pending);
  const evs = d.push(Buffer.from('lo\nQUERY\nEXIT:1'));
  t.same(
    evs.map((e) => e.ok && e.line),
    ['MESSAGE:a:1:hello', 'QUERY'],
  );
  t.same(d.flush(), { ok: true, line: 'EXIT:1', end: 0 });
  t.equal(d.flush(), null);
});

t.test('decoder: a multi-byte character split across reads survives', async (t) => {
  const d = new FrameDecoder();
  const bytes = Buffer.from('MESSAGE:a:1:héllo wörld ✓\n');
  const out = [
    ...d.push(bytes.subarray(0, 14)),
    ...d.push(bytes.subarray(14, 15)),
    ...d.push(bytes.subarray(15)),
  ];
  t.same(
    out.map((e) => e.ok && e.line),
    ['MESSAGE:a:1:héllo wörld ✓'],
  );
});

t.test('decoder: invalid UTF-8 and oversize frames are errors', async (t) => {
  const d = new FrameDecoder(32);
  const [bad] = d.push(Buffer.from([0x4d, 0xff, 0xfe, 0x0a]));
  t.equal(bad?.ok === false && bad.code, 'ERR_BAD_FRAME');
  const big = d.push(Buffer.alloc(40, 0x41));
  t.equal(big[0]?.ok === false && big[0].code, 'ERR_FRAME_TOO_LARGE');
  t.notOk(d.pending, 'oversize bytes are dropped');
});

t.test('property: no byte sequence throws out of the decoder or the parser', async (t) => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 8 }), (chunks) => {
      const d = new FrameDecoder(256);
      for (const c of chunks) for (const ev of d.push(Buffer.from(c))) if (ev.ok) parseFrame(ev.line);
      const tail = d.flush();
      if (tail?.ok) parseFrame(tail.line);
    }),
    { numRuns: 2000 },
  );
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (s) => {
      const r = parseFrame(s);
      return typeof r.ok === 'boolean';
    }),
    { numRuns: 2000 },
  );
  t.pass('2000 random byte streams and strings decoded without a throw');
});

t.test('property: encode then parse gives the frame back', async (t) => {
  const name = fc.stringMatching(/^[A-Za-z0-9_.-]{1,20}$/);
  const port = fc.integer({ min: 1, max: 65535 });
  const text = fc
    .string({ maxLength: 100 })
    .filter((s) => !/[\r\n]/.test(s) && s.trim() === s && s.length > 0);
  fc.assert(
    fc.property(name, port, text, (n, p, x) => {
      const line = encodeFrame({ verb: 'MESSAGE', name: n, port: p, text: x }).trim();
      const r = parseFrame(line);
      return (
        r.ok && r.frame.verb === 'MESSAGE' && r.frame.name === n && r.frame.port === p && r.frame.text === x
      );
    }),
  );
  t.pass('round trip holds');
});
