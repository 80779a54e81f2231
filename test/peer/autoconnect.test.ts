/** Auto-connect: concurrent, retried with capped backoff and jitter, reconnects a peer that comes back. */
import { createServer } from 'node:net';
import t from 'tap';
import {
  AutoConnect,
  awaitRound,
  BACKOFF_CAP_MS,
  backoff,
  REPORTED_RETRIES,
  retryNotice,
} from '../../src/peer/autoconnect.js';
import type { PeerInfo } from '../../src/types.js';
import { nativePeer } from '../helpers/peers.js';
import { waitFor } from '../helpers/wait.js';

t.test('backoff doubles, is capped and jittered', async (t) => {
  for (let n = 0; n < 30; n++) {
    const d = backoff(n, 100, 2000);
    const full = Math.min(2000, 100 * 2 ** n);
    t.ok(d >= full / 2 && d <= full, `attempt ${n}: ${d} ms in [${full / 2}, ${full}]`);
  }
  const samples = new Set(Array.from({ length: 20 }, () => backoff(5)));
  t.ok(samples.size > 1, 'jitter varies the delay');
  t.ok(backoff(100) <= BACKOFF_CAP_MS);
});

/** A free port: bound and released by the OS (ephemeral, not fixed). */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

t.test('retries a peer that is not up yet until it appears', async (t) => {
  const a = await nativePeer(t, 'alice');
  const port = await freePort();
  const ac = new AutoConnect(a, [{ address: `127.0.0.1:${port}` }], { baseMs: 20, capMs: 100 });
  t.teardown(() => ac.stop());
  const retries: number[] = [];
  ac.on('retry', (_e, attempt) => retries.push(attempt));
  ac.start();
  await waitFor(ac, 'retry', { filter: (_e: unknown, attempt: number) => attempt >= 2 });

  const connected = waitFor<[unknown, PeerInfo]>(ac, 'connected', { timeout: 5000 });
  await nativePeer(t, 'bob', { port });
  const [, first] = await connected;
  t.equal(first.address, `127.0.0.1:${port}`);
  t.ok(retries.length >= 2, `${retries.length} failed attempts were reported as progress`);
});

t.test('a configured peer that exits and restarts with the same identity is reconnected', async (t) => {
  const { tempDir } = await import('../helpers/peers.js');
  const a = await nativePeer(t, 'alice');
  const port = await freePort();
  const bDir = tempDir(t);
  let b = await nativePeer(t, 'bob', { port, dataDir: bDir });
  const ac = new AutoConnect(a, [{ address: `127.0.0.1:${port}`, key: b.id! }], { baseMs: 20, capMs: 100 });
  t.teardown(() => ac.stop());
  ac.start();
  await waitFor(ac, 'connected');
  const gone = waitFor(a, 'peer-disconnected');
  await b.exit();
  await gone;
  const back = waitFor<[unknown, PeerInfo]>(ac, 'connected', { timeout: 5000 });
  b = await nativePeer(t, 'bob', { port, dataDir: bDir });
  const [, info] = await back;
  t.equal(info.key, b.id, 'back, with the expected key');
  t.ok(a.connectedPeers().some((p) => p.address === `127.0.0.1:${port}`));
});

t.test('an entry with the wrong key is refused, not connected', async (t) => {
  const a = await nativePeer(t, 'alice');
  const b = await nativePeer(t, 'bob');
  const ac = new AutoConnect(a, [{ address: b.address, key: 'cd'.repeat(32) }], {
    baseMs: 1000,
    capMs: 1000,
  });
  t.teardown(() => ac.stop());
  ac.start();
  const [, , , err] = await waitFor<[unknown, number, number, { code: string }]>(ac, 'retry');
  t.equal(err.code, 'ERR_KEY_MISMATCH');
  t.same(a.connectedPeers(), []);
});

t.test(
  'retryNotice: the first failures are reported, the last reported one says so, then quiet',
  async (t) => {
    t.same(
      Array.from({ length: REPORTED_RETRIES + 2 }, (_, i) => retryNotice(i + 1)),
      [...Array(REPORTED_RETRIES - 1).fill('report'), 'last', 'quiet', 'quiet'],
    );
  },
);

t.test(
  'awaitRound: the round, a failed round, or the timeout, whichever is first; a bad timeout is a usage error',
  async (t) => {
    let finish = () => {};
    const round = new Promise<void>((r) => {
      finish = r;
    });
    let done = false;
    const waiting = awaitRound(round, { timeout: 60_000 }).then(() => {
      done = true;
    });
    await new Promise((r) => setImmediate(r));
    t.notOk(done, 'waits for the round');
    finish();
    await waiting;
    t.ok(done);
    await awaitRound(Promise.reject(new Error('round failed')), { timeout: 60_000 });
    await awaitRound(new Promise(() => {}), { timeout: 0 });
    await t.rejects(awaitRound(Promise.resolve(), { timeout: -1 }), { code: 'ERR_USAGE' });
    await t.rejects(awaitRound(Promise.resolve(), { timeout: Number.NaN }), { code: 'ERR_USAGE' });
  },
);
