/**
 * Issue 15 #6 (decode) and #14 (timestamps): remote fields are checked at decode. A native chat
 * longer than the send limit, or with a timestamp outside what a Date can hold, is refused.
 */
import t from 'tap';
import * as m from '../../src/net/native/messages.js';
import { MAX_TEXT_BYTES as SEND_LIMIT } from '../../src/peer/outbox.js';

t.test('the receive limit equals the send limit', async (t) => {
  t.equal(m.MAX_TEXT_BYTES, SEND_LIMIT);
  const at = m.encode(m.chat, { id: 'a', ts: 1, text: 'x'.repeat(SEND_LIMIT) });
  t.ok(m.safeDecode(m.chat, at), 'a text of exactly the send limit is accepted');
  const over = m.encode(m.chat, { id: 'a', ts: 1, text: 'x'.repeat(SEND_LIMIT + 1) });
  t.equal(m.safeDecode(m.chat, over), null, 'one byte more is refused');
  const big = m.encode(m.chat, { id: 'a', ts: 1, text: 'x'.repeat(64 * 1024) });
  t.equal(m.safeDecode(m.chat, big), null, 'the 64 KiB texts of the attack are refused');
});

/** A chat whose timestamp is a raw compact-encoding uint64 (0xff + 8 bytes, little-endian). */
function chatWithTs(ts: bigint): Buffer {
  const uint = Buffer.alloc(9);
  uint[0] = 0xff;
  uint.writeBigUInt64LE(ts, 1);
  return Buffer.concat([Buffer.from([2]), Buffer.from('id'), uint, Buffer.from([2]), Buffer.from('hi')]);
}

t.test('timestamps are in the range of a Date', async (t) => {
  t.ok(m.safeDecode(m.chat, chatWithTs(BigInt(Date.now()))), 'now');
  t.ok(m.safeDecode(m.chat, chatWithTs(8_640_000_000_000_000n)), 'the last valid Date');
  t.equal(m.safeDecode(m.chat, chatWithTs(8_640_000_000_000_001n)), null, 'past 8.64e15 is refused');
  t.equal(m.safeDecode(m.chat, chatWithTs(2n ** 53n + 2n)), null, 'beyond safe integers is refused');
  t.equal(m.safeDecode(m.chat, chatWithTs(2n ** 63n)), null, 'a 64-bit timestamp is refused');
});
