/**
 * Issue 15 #7: one source must not take every inbound slot. Two attacking IPs hold CONNECTs; a
 * legitimate classic peer from a third IP still connects and is heard, and an original
 * BlockMiners peer that connected first and stays quiet keeps working. Raw sockets against a
 * real peerchat process with `limits.maxInbound` 20.
 */
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import t from 'tap';
import { ClassicClient } from '../classic-client.js';
import { Cluster, until } from '../harness.js';

const MAX_INBOUND = 20;
const PER_ATTACKER = 30;

t.setTimeout(60_000);

async function connectFrom(local: string, port: number, line: string): Promise<Socket> {
  const s = connect({ host: '127.0.0.1', port, localAddress: local });
  s.on('error', () => {});
  await once(s, 'connect');
  s.write(line);
  return s;
}

t.test('attackers from two IPs cannot lock out a new peer or evict a quiet original one', async (t) => {
  const cluster = new Cluster(t);
  const target = await cluster.spawn({ name: 'target', config: { limits: { maxInbound: MAX_INBOUND } } });
  const port = Number(target.address.split(':')[1]);
  const original = new ClassicClient('orig');
  await original.listen();
  t.teardown(() => original.close());
  await original.connectTo(port); // persistent, then quiet
  await target.waitFor('peer-connected', (e) => e.peer === original.address);

  const sockets: Socket[] = [];
  t.teardown(() => {
    for (const s of sockets) s.destroy();
  });
  for (const ip of ['127.0.0.2', '127.0.0.3'])
    for (let i = 0; i < PER_ATTACKER; i++)
      sockets.push(await connectFrom(ip, port, `CONNECT:hog${i}:${30_000 + i}\n`));

  // a newcomer from another IP: its CONNECT is ACKed and its message heard
  const newcomer = await connectFrom('127.0.0.4', port, 'CONNECT:newcomer:4444\n');
  sockets.push(newcomer);
  let got = '';
  newcomer.on('data', (b) => {
    got += b.toString();
  });
  await target.waitFor('peer-connected', (e) => e.peer === '127.0.0.4:4444', 10_000);
  await until(() => got.length > 0, 5000, 'the ACK');
  t.match(got, /^ACK:target:/, 'the newcomer was ACKed');

  const state = (await target.eval(
    `await peer.send(${JSON.stringify(original.address)}, "still there?").then((r) => r.state, (e) => e.code)`,
  )) as string;
  t.equal(state, 'sent', 'the quiet original peer still gets messages');
  await original.waitFrame((r) => r.frame.endsWith('still there?'));
  const connected = (await target.eval('peer.connected().map((p) => p.address)')) as string[];
  t.ok(connected.includes(original.address), 'the original peer was not evicted');
});
