/** The output budget of a native session's writer (issue 15 #4). */
import t from 'tap';
import { BatchWriter } from '../../../src/net/native/writer.js';

function fakeMux() {
  return {
    corked: 0,
    cork() {
      this.corked++;
    },
    uncork() {
      this.corked--;
    },
  };
}

t.test('a write past the budget is not made and reported once per call', async (t) => {
  let unread = 0;
  const over: Array<[number, number]> = [];
  const mux = fakeMux();
  const w = new BatchWriter(
    mux as never,
    () => unread,
    (u, b) => over.push([u, b]),
  );
  const sent: unknown[] = [];
  const handle = { send: (m: unknown) => sent.push(m) > 0 };
  t.ok(w.send(handle, 'a', 100, 1000), 'within the budget');
  unread = 950;
  t.notOk(w.send(handle, 'b', 100, 1000), 'past the budget (unread + batch + this write)');
  t.same(sent, ['a']);
  t.same(over, [[1050, 1000]]);
  w.uncork();
  t.equal(mux.corked, 0, 'the batch was written');
});
