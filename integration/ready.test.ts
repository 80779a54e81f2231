/**
 * Scripts wait for the configured peers: `await peer.ready()` and `--wait-connected <ms>` make a
 * one-shot `-e` broadcast reach the autoConnect peers (before, it printed [] and sent nothing).
 */
import t from 'tap';
import { Cluster } from './harness.js';

t.setTimeout(60_000);

t.test('-e with await peer.ready() and with --wait-connected sends to the autoConnect peer', async (t) => {
  const cluster = new Cluster(t);
  const ops = await cluster.spawn({ name: 'ops' });
  const readyRun = await cluster.run([
    '--json',
    '--connect',
    ops.address,
    '-e',
    'await peer.ready(); await peer.broadcast("deploy done")',
  ]);
  t.equal(readyRun.exitCode, 0, String(readyRun.stderr));
  t.match(JSON.parse(String(readyRun.stdout).trim().split('\n').at(-1)!), {
    type: 'result',
    value: [{ to: ops.address, state: 'acked' }],
  });
  t.match(await ops.waitFor('message', (e) => e.text === 'deploy done'), { direction: 'in' });

  const flagRun = await cluster.run([
    '--json',
    '--connect',
    ops.address,
    '--wait-connected',
    '5000',
    '-e',
    'await peer.broadcast("deploy done again")',
  ]);
  t.equal(flagRun.exitCode, 0, String(flagRun.stderr));
  t.match(await ops.waitFor('message', (e) => e.text === 'deploy done again'), { direction: 'in' });
  // the connection made during the wait is in the NDJSON stream too, before the result
  const types = String(flagRun.stdout)
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; peer?: string });
  const connected = types.findIndex((e) => e.type === 'peer-connected' && e.peer === ops.address);
  t.ok(connected > 0, 'peer-connected was written during --wait-connected');
  t.ok(connected < types.findIndex((e) => e.type === 'result'), 'before the result');

  // a configured peer that is down: ready() resolves after its first failed attempt, with no peers
  const down = await cluster.run([
    '--json',
    '--connect',
    '127.0.0.1:1',
    '-e',
    'await peer.ready({ timeout: 5000 })',
  ]);
  t.match(JSON.parse(String(down.stdout).trim().split('\n').at(-1)!), { type: 'result', value: [] });
});
