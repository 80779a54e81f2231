import t from 'tap';
import { GAP_MS, InOrder } from '../../src/rooms/log/in-order.js';
import type { RoomEntry } from '../../src/rooms/log/types.js';

const entry = (seq: number): RoomEntry => ({
  id: `e${seq}`,
  ts: 1000 + seq,
  name: 'a',
  text: `t${seq}`,
  author: 'ab',
  seq,
  local: false,
  late: true,
});

t.test('entries arriving out of order are emitted in the order written', async (t) => {
  const out: number[] = [];
  const q = new InOrder((e) => out.push(e.seq));
  for (const s of [2, 0, 3, 1, 5]) q.push(entry(s));
  t.same(out, [0, 1, 2, 3], '5 waits for 4');
  q.pass(4); // a bad block
  t.same(out, [0, 1, 2, 3, 5]);
  q.close();
});

t.test('entries on disk at open pass; a skip moves past retention', async (t) => {
  const out: number[] = [];
  const q = new InOrder((e) => out.push(e.seq));
  q.skipTo(10);
  q.pass(10);
  q.push(entry(12));
  q.push(entry(11));
  q.push(entry(3));
  t.same(out, [11, 12, 3], 'one below the start is shown at once');
  q.close();
});

t.test('a gap that does not fill is passed over', async (t) => {
  const out: number[] = [];
  const q = new InOrder((e) => out.push(e.seq));
  q.push(entry(1));
  t.same(out, []);
  await new Promise((r) => setTimeout(r, GAP_MS + 200));
  t.same(out, [1], 'shown after the gap timeout');
  q.push(entry(0));
  t.same(out, [1, 0], 'the late one still shown');
  q.close();
});
