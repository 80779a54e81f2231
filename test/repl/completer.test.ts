import t from 'tap';
import { type Completion, completePeerArgument, createCompleter } from '../../src/repl/completer.js';
import { FakePeer } from './fake-peer.js';

function setup() {
  const peer = new FakePeer();
  peer.addPeer({ address: '127.0.0.1:5001', name: 'alice', connected: true });
  peer.addPeer({ address: '127.0.0.1:5002', name: 'albert' });
  peer.addPeer({ address: '127.0.1.7:6000', name: 'twin' });
  peer.addPeer({ address: '127.0.1.8:6000', name: 'twin' });
  return peer;
}

t.test('dot-command arguments complete names and addresses', async (t) => {
  const peer = setup();
  t.same(completePeerArgument('.send al', peer), [['albert', 'alice'], 'al']);
  t.same(completePeerArgument('.chat alic', peer), [['alice'], 'alic']);
  t.same(completePeerArgument('.query 127.0.0.1:500', peer), [
    ['127.0.0.1:5001', '127.0.0.1:5002'],
    '127.0.0.1:500',
  ]);
  t.same(completePeerArgument('.send tw', peer), [[], 'tw'], 'an ambiguous name is not offered');
  t.same(completePeerArgument('.send 127.0.1.', peer), [['127.0.1.7:6000', '127.0.1.8:6000'], '127.0.1.']);
  t.same(
    completePeerArgument('.connect 127.0.0', peer),
    [['127.0.0.1:5002'], '127.0.0'],
    'connect offers unconnected addresses',
  );
  t.same(completePeerArgument('.send alice hel', peer), [[], 'hel'], 'the text is not completed');
  t.same(completePeerArgument('.history al', peer), [['albert', 'alice'], 'al'], '.history takes a peer');
  t.same(completePeerArgument('.history g', peer), [[], 'g'], 'not `global`: no JavaScript names');
  t.same(
    completePeerArgument('.history --limit 5 al', peer),
    [['albert', 'alice'], 'al'],
    'after an option value',
  );
  t.same(completePeerArgument('.history alice 3', peer), [[], '3'], 'the second positional is no peer');
  t.same(completePeerArgument('.history --s', peer), [['--search'], '--s'], 'option names');
  t.same(completePeerArgument('.block al', peer), [['albert', 'alice'], 'al'], 'a plugin command gets peers');
  t.same(completePeerArgument('.retry ab', peer), [[], 'ab'], 'an id is not a peer');
  t.equal(completePeerArgument('.load fi', peer), null, "node's own commands keep node's completion");
  t.same(completePeerArgument('.peers x', peer), [[], 'x'], 'a command without arguments offers nothing');
  t.equal(completePeerArgument('.se', peer), null, 'command names are left to the repl');
});

t.test('string arguments of peer methods complete too', async (t) => {
  const peer = setup();
  t.same(completePeerArgument("peer.send('al", peer), [['albert', 'alice'], 'al']);
  t.same(completePeerArgument('await peer.chat("ali', peer), [['alice'], 'ali']);
  t.same(completePeerArgument('x = await peer.connect(`127.0.0.1:', peer), [
    ['127.0.0.1:5002'],
    '127.0.0.1:',
  ]);
  t.same(completePeerArgument("peer.query('", peer)?.[0].length, 6, 'an empty prefix offers everything');
  t.equal(completePeerArgument("peer.send('alice', 'hi", peer), null, 'only the first argument');
  t.equal(completePeerArgument('peer.se', peer), null, 'method names are left to the repl');
  t.equal(completePeerArgument("peer.broadcast('a", peer), null);
});

t.test('createCompleter falls back to the default completer', async (t) => {
  const peer = setup();
  const fallbackCalls: string[] = [];
  const complete = createCompleter(peer, (line, cb) => {
    fallbackCalls.push(line);
    cb(null, [['peer.send'], 'peer.se']);
  });
  const run = (line: string) =>
    new Promise<Completion | undefined>((resolve, reject) =>
      complete(line, (err, result) => (err ? reject(err) : resolve(result))),
    );
  t.same(await run('.send ali'), [['alice'], 'ali']);
  t.same(await run('peer.se'), [['peer.send'], 'peer.se']);
  t.same(fallbackCalls, ['peer.se']);
  const broken = createCompleter(
    {
      activePeers: () => {
        throw new Error('table gone');
      },
      contacts: () => [],
    },
    (line, cb) => cb(null, [[], line]),
  );
  t.same(
    await new Promise((resolve) => broken('.send a', (_e, r) => resolve(r))),
    [[], '.send a'],
    'a failing peer table falls back instead of throwing',
  );
});

t.test('the fallback completion leaves out peer.constructor', async (t) => {
  const complete = createCompleter({ activePeers: () => [], contacts: () => [] }, (_line, cb) =>
    cb(null, [['peer.constructor', 'peer.connect', 'peer.connectAll'], 'peer.con']),
  );
  const result = await new Promise((resolve) => complete('peer.con', (_err, res) => resolve(res)));
  t.same(result, [['peer.connect', 'peer.connectAll'], 'peer.con']);
});

t.test('contacts that are away complete too; a name two identities gave does not', async (t) => {
  const peer = setup();
  const contact = (name: string, key: string | null, address: string) => ({
    key,
    fingerprint: null,
    name,
    addresses: [address],
    firstSeen: 1,
    lastSeen: 2,
    met: 'tcp' as const,
    connected: false,
  });
  peer.book = [
    contact('carol', 'c'.repeat(64), '127.0.2.1:7000'),
    contact('alice', null, '127.0.0.1:5001'), // the active alice herself: still one identity
    contact('albert', 'e'.repeat(64), '127.0.2.2:7000'), // another albert than the active one
  ];
  t.same(completePeerArgument('.send ca', peer), [['carol'], 'ca'], 'an away contact');
  t.same(completePeerArgument('.whois ca', peer), [['carol'], 'ca']);
  t.same(completePeerArgument('.send al', peer), [['alice'], 'al'], 'two alberts: ambiguous, not offered');
  const broken = {
    activePeers: () => [],
    contacts: () => {
      throw new Error('store gone');
    },
  };
  t.same(completePeerArgument('.send ca', broken), [[], 'ca'], 'an unreadable book offers nothing more');
});
