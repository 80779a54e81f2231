import { randomBytes } from 'node:crypto';
import t from 'tap';
import { fingerprint } from '../../src/net/native/identity.js';
import { newId, Store } from '../../src/store/store.js';
import type { ChatMessage } from '../../src/types.js';
import { ndjson } from '../helpers/ndjson.js';
import { runCli, sandbox } from './run-cli.js';

const fresh = sandbox(t);
const AUTHOR = randomBytes(32).toString('hex');

function message(over: Partial<ChatMessage>): ChatMessage {
  return {
    id: newId(),
    from: '127.0.0.1:5001',
    name: 'alice',
    text: 'hello',
    protocol: 'native',
    verified: true,
    key: AUTHOR,
    fingerprint: fingerprint(AUTHOR),
    ts: Date.UTC(2024, 0, 15, 12, 30, 5),
    direction: 'in',
    ...over,
  };
}

t.test('history and export --room show one group room, with its room field', async (t) => {
  const dataDir = fresh();
  const store = Store.open({ dataDir });
  await store.recordIncoming(message({ text: 'one to one' }));
  await store.recordRoom(message({ from: 'room:team', text: 'said in team', room: 'team' }));
  await store.recordRoom(message({ from: 'room:other', text: 'said in other', room: 'other' }));
  t.equal(
    await store.recordRoom(message({ from: 'room:team', text: 'mine', room: 'team', direction: 'out' })),
    true,
  );
  await store.close();

  const r = await runCli(['history', '--room', 'team', '--json'], { cwd: fresh(), dataDir });
  t.equal(r.code, 0, r.stderr);
  const rows = ndjson(r.stdout);
  t.same(
    rows.map((x) => [x.text, x.room, x.direction, x.state]),
    [
      ['said in team', 'team', 'in', 'acked'],
      ['mine', 'team', 'out', 'sent'],
    ],
  );
  const all = await runCli(['history', '--json'], { cwd: fresh(), dataDir });
  const direct = ndjson(all.stdout).find((x) => x.text === 'one to one');
  t.notOk('room' in direct, 'a one-to-one message has no room');

  const e = await runCli(['export', '--format', 'jsonl', '--room', 'other'], { cwd: fresh(), dataDir });
  t.equal(e.code, 0, e.stderr);
  const exported = ndjson(e.stdout);
  t.same(
    exported.map((x) => [x.text, x.room]),
    [['said in other', 'other']],
  );

  const none = await runCli(['history', '--room', 'nowhere'], { cwd: fresh(), dataDir });
  t.match(none.stderr, /room "nowhere"/);
  const two = await runCli(['history', '--room', 'a', '--room', 'b'], { cwd: fresh(), dataDir });
  t.not(two.code, 0, 'one room at most');
  t.match(two.stderr, /ERR_USAGE|one room/);
});
