/**
 * The contact book over real loopback Peers with stores: names that outlive the session and a
 * restart (.contacts, .whois, .send/.history/.connect by name), ambiguity, fingerprint prefixes,
 * .trust, and how pins relate to contacts when the OS gives a freed port to a new peer.
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
import { until, waitFor } from '../helpers/wait.js';

async function peerOn(t: Test, dataDir: string, name: string, port = 0) {
  const identity = await loadIdentity(dataDir);
  const store = Store.open({ dataDir });
  const peer = new Peer({ name, host: '127.0.0.1', port, identity, dataDir, store });
  const warnings: string[] = [];
  peer.on('warning', (w) => warnings.push(w.code));
  try {
    await peer.listen();
  } catch (err) {
    await store.close();
    throw err;
  }
  t.teardown(() => peer.exit());
  return { peer, warnings };
}

function commandsOver(peer: Peer) {
  const printed: string[] = [];
  const g = createPeerGlobal(peer, { chat: () => {}, quit: async () => {} });
  const commands = builtinCommands(g, { print: (s) => printed.push(s), colors: createColors(false) });
  return { commands, printed };
}

t.test('contacts survive a restart: .contacts, .whois, .send, .history and .connect by name', async (t) => {
  const aDir = tempDir(t);
  const bDir = tempDir(t);
  const { peer: a1 } = await peerOn(t, aDir, 'alice');
  const { peer: b1 } = await peerOn(t, bDir, 'bob');
  await a1.connect(b1.address);
  await until(() => a1.contacts().length === 1, 20_000, 'the contact');
  const one = commandsOver(a1);
  t.match(one.commands.contacts?.action(''), [
    { name: 'bob', key: b1.id, addresses: [b1.address], met: 'tcp', connected: true },
  ]);
  t.match(
    one.printed.at(-1),
    new RegExp(`^bob +${b1.fingerprint} +${b1.address} +seen .* +met tcp connected$`),
  );
  await a1.exit();
  await b1.exit();

  // a restart: the name is still known, and a message to it queues to its key
  const { peer: a2 } = await peerOn(t, aDir, 'alice');
  const two = commandsOver(a2);
  t.match(two.commands.whois?.action('bob'), [{ name: 'bob', key: b1.id, connected: false }]);
  t.match(two.printed.at(-1), new RegExp(`key +${b1.id}`));
  const queued = (await two.commands.send?.action('bob see you later')) as { state: string; id: string };
  t.equal(queued.state, 'queued', 'queued to the contact’s key');
  t.match(two.commands.history?.action('bob'), [
    { text: 'see you later', direction: 'out', state: 'queued' },
  ]);
  t.match(two.printed.at(-1), /see you later \(queued, /);
  await t.rejects(async () => two.commands.connect?.action('bob'), { code: 'ERR_PEER_UNREACHABLE' });

  // bob comes back on another port: the queued message is delivered, the contact moves
  const { peer: b2 } = await peerOn(t, bDir, 'bob');
  const got = waitFor<[ChatMessage]>(b2, 'message');
  await b2.connect(a2.address);
  t.equal((await got)[0].text, 'see you later');
  await until(() => a2.contacts('bob')[0]?.addresses[0] === b2.address);
  t.same(a2.contacts('bob')[0]?.addresses, [b2.address, b1.address], 'last addresses, newest first');
  await a2.exit();

  // and `.connect bob` dials its last address, expecting its key
  const { peer: a3 } = await peerOn(t, aDir, 'alice');
  const three = commandsOver(a3);
  t.match(await three.commands.connect?.action('bob'), { address: b2.address, key: b1.id, connected: true });
  t.match(three.printed.at(-1), `connected to bob ${b2.address} (native)`);
});

t.test('a name two contacts share is ambiguous; a fingerprint prefix picks one', async (t) => {
  const aDir = tempDir(t);
  const { peer: a1 } = await peerOn(t, aDir, 'alice');
  const { peer: x } = await peerOn(t, tempDir(t), 'twin');
  const { peer: y } = await peerOn(t, tempDir(t), 'twin');
  await a1.connect(x.address);
  await a1.connect(y.address);
  await until(() => a1.contacts().length === 2, 20_000, 'both contacts');
  await a1.exit();
  await x.exit();
  await y.exit();
  const { peer: a2 } = await peerOn(t, aDir, 'alice');
  const { commands } = commandsOver(a2);
  const send = commands.send!;
  const err = await (send.action('twin hi') as Promise<unknown>).then(
    () => null,
    (e: Error & { code?: string }) => e,
  );
  t.equal(err?.code, 'ERR_AMBIGUOUS_TARGET');
  t.match(err?.message, x.fingerprint!);
  t.match(err?.message, y.fingerprint!);
  const prefix = x.fingerprint!.slice(0, 9); // "xxxx:xxxx"
  t.match(await commands.send?.action(`${prefix} hi`), { state: 'queued' });
  t.match(a2.outbox(), [{ key: x.id, text: 'hi' }]);
  await t.rejects(async () => commands.send?.action('nobody hi'), { code: 'ERR_UNKNOWN_TARGET' });
});

t.test(
  'a freed port taken by a new peer: no false key alarm inbound, a dialled change still refused',
  async (t) => {
    const { peer: a, warnings } = await peerOn(t, tempDir(t), 'alice');
    const { peer: b } = await peerOn(t, tempDir(t), 'bob');
    const port = b.port;
    await a.connect(b.address); // pins bob's key to his address
    await b.exit();
    await until(() => a.connectedPeers().length === 0);
    // the OS hands bob's freed port to carol (tried on the same port number: what the OS does)
    let carol: Peer;
    try {
      carol = (await peerOn(t, tempDir(t), 'carol', port)).peer;
    } catch {
      t.comment('the freed port was taken by another process: nothing to check');
      return;
    }
    const { commands, printed } = commandsOver(a);

    // carol dials alice from the pinned address: she is accepted by her key, and her message arrives
    const got = waitFor<[ChatMessage]>(a, 'message');
    t.match(await carol.send(a.address, 'hi alice'), { state: 'acked' });
    t.match((await got)[0], { text: 'hi alice', key: carol.id });
    t.notOk(warnings.includes('ERR_KEY_MISMATCH'), 'no false ERR_KEY_MISMATCH');

    // by name each goes where it belongs: carol now, bob (away) queued to his key
    t.match(await commands.send?.action('carol hello'), { state: 'acked' });
    t.match(await commands.send?.action('bob are you there'), { state: 'queued' });
    t.match(a.outbox(), [{ key: b.id, text: 'are you there' }]);
    // by the typed address, pinned to bob: refused rather than sent to carol
    await t.rejects(async () => commands.send?.action(`127.0.0.1:${port} for bob`), {
      code: 'ERR_KEY_MISMATCH',
    });

    // a dial of the pinned address that meets another key is refused until accepted with .trust
    await carol.exit();
    await until(() => a.connectedPeers().length === 0);
    const { peer: carol2 } = await peerOn(t, tempDir(t), 'carol', port).catch(() => ({ peer: null }));
    if (!carol2) return;
    await t.rejects(a.connect(`127.0.0.1:${port}`), { code: 'ERR_KEY_MISMATCH' });
    commands.trust?.action(`127.0.0.1:${port} ${carol2.id}`);
    t.match(printed.at(-1), /^trusted [0-9a-f]{16}… for 127\.0\.0\.1:\d+$/);
    t.match(await a.connect(`127.0.0.1:${port}`), { key: carol2.id, connected: true });
  },
);
