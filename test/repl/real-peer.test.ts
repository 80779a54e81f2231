/**
 * The dot-commands over the `peer` global of a real loopback Peer with a store (not the fake):
 * target resolution, history, outbox, retry/drop and rooms as a person sees them.
 */
import t, { type Test } from 'tap';
import { loadIdentity } from '../../src/net/native/identity.js';
import { Peer } from '../../src/peer/peer.js';
import { builtinCommands } from '../../src/repl/commands.js';
import { createColors } from '../../src/repl/format.js';
import { createPeerGlobal } from '../../src/repl/global.js';
import { Store } from '../../src/store/store.js';
import type { ChatMessage } from '../../src/types.js';
import { tempDir } from '../helpers/peers.js';
import { RawClassicPeer } from '../helpers/raw-classic.js';
import { until, waitFor } from '../helpers/wait.js';

async function storedPeer(t: Test, name: string) {
  const dataDir = tempDir(t);
  const identity = await loadIdentity(dataDir);
  const store = Store.open({ dataDir });
  const peer = new Peer({ name, host: '127.0.0.1', identity, dataDir, store });
  await peer.listen();
  t.teardown(() => peer.exit());
  return peer;
}

function commandsOver(peer: Peer) {
  const printed: string[] = [];
  const g = createPeerGlobal(peer, {
    chat: () => {},
    quit: async () => {},
    extra: {
      join: (room: string, opts?: { secret?: string }) => peer.join(room, opts),
      leave: (room: string) => peer.leave(room),
      rooms: () => peer.rooms(),
      history: (target?: string, opts?: Parameters<Peer['history']>[1]) => peer.history(target, opts),
      outbox: () => peer.outbox(),
      retry: (id: string) => peer.retry(id),
      drop: (id: string) => peer.drop(id),
    },
  });
  const commands = builtinCommands(g, { print: (s) => printed.push(s), colors: createColors(false) });
  return { g, commands, printed };
}

t.test('.send, .history and .peers against a real peer', async (t) => {
  const a = await storedPeer(t, 'alice');
  const b = await storedPeer(t, 'bob');
  const { commands, printed } = commandsOver(a);
  await a.connect(b.address);
  const got = waitFor<[ChatMessage]>(b, 'message');
  t.match(await commands.send?.action('bob hello there'), { state: 'acked', to: b.address });
  t.equal(printed.at(-1), `acked to ${b.address} (native)`);
  await got;
  t.match(await commands.history?.action('bob'), [{ text: 'hello there', direction: 'out', state: 'acked' }]);
  t.match(printed.at(-1), /hello there \(acked, /);
  t.match(await commands.peers?.action(''), [{ address: b.address, name: 'bob', connected: true }]);
  t.match(printed.at(-1), /bob +connected/);
});

t.test(".send to an ambiguous or unknown name fails with the resolver's coded error", async (t) => {
  const a = await storedPeer(t, 'alice');
  const { commands } = commandsOver(a);
  const one = new RawClassicPeer('twin');
  const two = new RawClassicPeer('twin');
  await one.listen();
  await two.listen();
  t.teardown(() => Promise.all([one.close(), two.close()]));
  await a.connect(`127.0.0.1:${one.port}`);
  await a.connect(`127.0.0.1:${two.port}`);
  await t.rejects(async () => commands.send?.action('twin hi'), { code: 'ERR_AMBIGUOUS_TARGET' });
  await t.rejects(async () => commands.send?.action('nobody hi'), { code: 'ERR_UNKNOWN_TARGET' });
  await t.rejects(async () => commands.query?.action('twin'), { code: 'ERR_AMBIGUOUS_TARGET' });
});

t.test('.outbox, .drop and .retry against a real outbox; .rooms with none joined', async (t) => {
  const a = await storedPeer(t, 'alice');
  const b = await storedPeer(t, 'bob');
  const bAddress = b.address;
  await a.connect(bAddress);
  await b.exit();
  await until(() => a.connectedPeers().length === 0);
  const { commands, printed } = commandsOver(a);
  const res = await a.send(bAddress, 'later');
  t.equal(res.state, 'queued');
  t.match(await commands.outbox?.action(''), [{ id: res.id, state: 'queued' }]);
  t.match(printed.at(-1), new RegExp(`later \\(queued, ${res.id}\\)`));
  // a queued message can be retried too: its peer is dialled now (it is away: it stays queued)
  t.match(await commands.retry?.action(res.id), { id: res.id, state: 'queued' });
  t.equal(
    printed.at(-1),
    `retrying ${res.id} (${bAddress} is away: dialling it; "delivered" shows once it arrives)`,
  );
  await t.rejects(
    async () => commands.retry?.action('no-such-id'),
    { code: 'ERR_USAGE', message: /no queued or failed outgoing message with id no-such-id/ },
    'unknown ids',
  );
  t.equal(await commands.drop?.action(res.id), true);
  t.equal(printed.at(-1), `dropped ${res.id}`);
  t.equal(await commands.drop?.action(res.id), false);
  t.equal(printed.at(-1), `no message ${res.id} in the outbox`);
  t.same(await commands.outbox?.action(''), []);
  t.equal(printed.at(-1), 'the outbox is empty');
  t.same(await commands.rooms?.action(''), []);
  t.equal(printed.at(-1), 'no rooms joined');
  t.same(await commands.leave?.action('nowhere'), [], 'leaving a room never joined is a no-op');
});
