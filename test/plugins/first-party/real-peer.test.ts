/**
 * The first-party plugins on real Peers over loopback TCP (classic sessions: no identity needed):
 * "alice" runs the plugins, "bob" is a plain peer that talks to her.
 */

import { readFileSync } from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import type { Warning } from '../../../src/errors.js';
import type { Interceptors } from '../../../src/peer/options.js';
import { Peer } from '../../../src/peer/peer.js';
import { PluginHost } from '../../../src/plugins/index.js';
import type { ChatMessage } from '../../../src/types.js';
import { until, waitFor } from '../../helpers/wait.js';

async function startPeer(t: Test, name: string, interceptors?: Interceptors): Promise<Peer> {
  const peer = new Peer({ name, host: '127.0.0.1', port: 0, identity: null, dataDir: null, interceptors });
  await peer.listen();
  t.teardown(() => peer.exit());
  return peer;
}

/**
 * Alice with plugins, wired the way src/app.ts wires them: the host first (it reaches the peer
 * lazily), then the peer with the host's interceptors, or `wrap` of them (a spy on the path).
 */
async function startAlice(
  t: Test,
  plugins: Array<[string, unknown?]>,
  dataDir: string,
  wrap: (i: Interceptors) => Interceptors = (i) => i,
) {
  let peer: Peer | undefined;
  const host = new PluginHost({ peer: () => peer!, dataDir, hookTimeoutMs: 2000, log: () => {} });
  const alice = await startPeer(t, 'alice', wrap(host.interceptors));
  peer = alice;
  const warnings: Warning[] = [];
  host.on('warning', (w) => warnings.push(w));
  await host.load(plugins.map(([spec, options]) => ({ spec, options, baseDir: dataDir })));
  host.attach();
  await host.start();
  t.teardown(() => host.stop());
  return { alice, host, warnings };
}

function messagesOf(peer: Peer): ChatMessage[] {
  const got: ChatMessage[] = [];
  peer.on('message', (m) => got.push(m));
  return got;
}

t.test('bot, auto-reply, logger and notify answer and record a real conversation', async (t) => {
  const dataDir = t.testdir();
  const chunks: string[] = [];
  const { alice, host, warnings } = await startAlice(
    t,
    [
      ['peerchat:bot'],
      ['peerchat:auto-reply', { message: 'brb' }],
      ['peerchat:logger', { format: 'jsonl' }],
      ['peerchat:notify', { output: { write: (s: string) => chunks.push(s) }, keywords: ['urgent'] }],
    ],
    dataDir,
  );
  const bob = await startPeer(t, 'bob');
  const bobGot = messagesOf(bob);

  await bob.send(alice.address, '!ping');
  await until(() => bobGot.some((m) => m.text === 'pong'), 5000, 'pong');
  t.ok(
    bobGot.some((m) => m.text === '[auto-reply] brb'),
    'the away message came once',
  );

  await bob.send(alice.address, 'this is urgent');
  await bob.send(alice.address, 'hey Alice');
  await until(() => chunks.length === 2, 5000, 'two notifications');
  t.same(chunks, ['\x07', '\x07'], 'a bell for the keyword and one for her name');
  t.equal(bobGot.filter((m) => m.text === '[auto-reply] brb').length, 1, 'still only one away message');

  await host.stop();
  const logged = readFileSync(path.join(dataDir, 'plugins', 'logger', 'messages.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as ChatMessage);
  t.same(
    logged.filter((m) => m.direction === 'in').map((m) => m.text),
    ['!ping', 'this is urgent', 'hey Alice'],
  );
  t.same(
    logged
      .filter((m) => m.direction === 'out')
      .map((m) => m.text)
      .sort(),
    ['[auto-reply] brb', 'pong'],
  );
  t.same(warnings, []);
});

t.test('filter drops a blocked real peer before anything else sees it', async (t) => {
  const dataDir = t.testdir();
  // see what reaches the transform chain, to know bob's message arrived (and was dropped, not late)
  const reached: string[] = [];
  const spy = (i: Interceptors): Interceptors => ({
    ...i,
    incoming: (m) => {
      reached.push(m.text);
      return i.incoming!(m);
    },
  });
  const { alice, host } = await startAlice(t, [['peerchat:filter'], ['peerchat:bot']], dataDir, spy);
  const bob = await startPeer(t, 'bob');
  const carol = await startPeer(t, 'carol');
  const aliceGot = messagesOf(alice);
  const bobGot = messagesOf(bob);
  t.equal(await host.commands.get('block')?.action(bob.address), `blocked: ${bob.address}`);

  await bob.send(alice.address, '!ping');
  const fromCarol = waitFor(alice, 'message');
  await carol.send(alice.address, 'hi from carol');
  await fromCarol;
  await until(() => reached.includes('!ping'), 5000, "bob's message to reach alice");
  await host.idle();
  t.same(
    aliceGot.map((m) => m.text),
    ['hi from carol'],
  );
  t.same(bobGot, [], 'the bot never answered the blocked peer');
});
