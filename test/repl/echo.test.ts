/**
 * One's own sent lines in the REPL transcript, as a chat client shows them, with their delivery
 * state: acked at once, queued for a peer that is away and then delivered (`message-delivered`).
 * Streams-driven REPL over real loopback Peers with stores.
 */
import { PassThrough } from 'node:stream';
import t, { type Test } from 'tap';
import { loadIdentity } from '../../src/net/native/identity.js';
import { Peer } from '../../src/peer/peer.js';
import { startRepl } from '../../src/repl/start.js';
import { Store } from '../../src/store/store.js';
import type { ChatMessage } from '../../src/types.js';
import { tempDir } from '../helpers/peers.js';
import { until } from '../helpers/wait.js';
import { collect, waitFor } from './fake-peer.js';

async function storedPeer(t: Test, name: string) {
  const dataDir = tempDir(t);
  const store = Store.open({ dataDir });
  const peer = new Peer({ name, host: '127.0.0.1', identity: await loadIdentity(dataDir), dataDir, store });
  await peer.listen();
  t.teardown(() => peer.exit());
  return peer;
}

t.test('own lines are echoed with their delivery state: acked, queued, then delivered', async (t) => {
  const alice = await storedPeer(t, 'alice');
  const bob = await storedPeer(t, 'bob');
  const input = new PassThrough();
  const output = new PassThrough();
  const out = collect(output);
  const handle = await startRepl({
    peer: alice,
    input,
    output,
    errorOutput: new PassThrough(),
    terminal: false,
    color: false,
    json: false,
    onQuit: async () => {},
  });
  t.teardown(() => handle.quit());
  // a stored send resolves after its COMMIT: the first one waits for the writer thread to start,
  // which under tap's TypeScript loader on a loaded machine took 2-4 s (the default wait is 3 s)
  const STORED_MS = 20_000;
  const type = async (line: string, until: RegExp) => {
    const start = out.text().length;
    input.write(line);
    return waitFor(output, () => out.text().slice(start), until, STORED_MS);
  };
  await alice.connect(bob.address);
  await type(
    '.send bob hello there\n',
    new RegExp(`\\] to ${bob.address.replace(/\./g, '\\.')} bob \\([0-9a-f:]+\\): hello there  ✓ acked\\n`),
  );

  const bobAddress = bob.address;
  await bob.exit();
  await until(() => alice.connectedPeers().length === 0);
  await type('.send bob are you there\n', /: are you there {2}… queued\n/);

  // the outbox's later delivery (the delivery work emits `message-delivered` when the ack comes)
  const [queued] = alice.outbox();
  const start = out.text().length;
  (alice.emit as (e: string, ...a: unknown[]) => boolean)('message-delivered', {
    ...(queued as ChatMessage),
    from: bobAddress,
  });
  await waitFor(output, () => out.text().slice(start), /✓ delivered to bob: are you there\n/, STORED_MS);
});

t.test('a send by address to a contact that is away names it, also after a restart', async (t) => {
  const dataDir = tempDir(t);
  const open = async () => {
    const store = Store.open({ dataDir });
    const p = new Peer({
      name: 'alice',
      host: '127.0.0.1',
      identity: await loadIdentity(dataDir),
      dataDir,
      store,
    });
    await p.listen();
    return p;
  };
  const alice = await open();
  const bob = await storedPeer(t, 'bob');
  const bobAddress = bob.address;
  await alice.connect(bobAddress);
  await bob.exit();
  await alice.exit();
  const again = await open(); // a fresh table: bob is only a contact now
  t.teardown(() => again.exit());
  const sent: ChatMessage[] = [];
  again.on('sent', (m) => sent.push(m));
  t.match(await again.send(bobAddress, 'while you are away'), { state: 'queued' });
  t.equal(sent[0]?.name, 'bob', 'not "?"');
  t.equal(again.outbox()[0]?.name, 'bob', 'and so stored');
});
