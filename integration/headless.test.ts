/**
 * Headless mode through the real binary: with stdin at /dev/null (a service manager's default) or
 * with --headless, the peer stays up, streams its events as NDJSON, and on SIGTERM sends EXIT and
 * exits 0. A pipe stays a script, even an empty one: harness.test.ts "a peer ends when its stdin ends".
 */
import t from 'tap';
import { Cluster } from './harness.js';

t.setTimeout(60_000);

t.test(
  'stdin at /dev/null: the peer stays up until SIGTERM, then a peer sees its EXIT and it exits 0',
  async (t) => {
    const cluster = new Cluster(t);
    const bot = await cluster.spawn({ name: 'bot', stdin: 'ignore' });
    const p = await cluster.spawn({ name: 'p' });
    await p.eval(`await peer.connect(${JSON.stringify(bot.address)})`);
    const seen = await bot.waitFor('peer-connected', (e) => e.name === 'p');
    t.equal(seen.peer, p.address, 'its events stream while it runs headless');
    t.ok(bot.running, 'still running after its stdin ended at once');
    const left = p.next('peer-disconnected', (e) => e.peer === bot.address);
    bot.kill('SIGTERM');
    t.equal((await left).reason, 'exit', 'the other peer saw EXIT');
    t.equal((await bot.waitExit()).exitCode, 0);
    t.same(bot.junk, [], 'stdout stayed NDJSON');
  },
);

t.test('--headless ignores stdin, shows messages as NDJSON and exits 0 on SIGINT', async (t) => {
  const cluster = new Cluster(t);
  const bot = await cluster.spawn({ name: 'bot', args: ['--headless'] });
  const p = await cluster.spawn({ name: 'p' });
  bot.write('peer.quit(3)\n'); // not a script: nothing runs it
  t.match(await p.eval(`await peer.send(${JSON.stringify(bot.address)}, "hello bot")`), { state: 'acked' });
  t.match(await bot.waitFor('message', (e) => e.text === 'hello bot'), { name: 'p', direction: 'in' });
  t.ok(bot.running);
  const left = p.next('peer-disconnected', (e) => e.peer === bot.address);
  bot.kill('SIGINT');
  t.equal((await left).reason, 'exit');
  t.equal((await bot.waitExit()).exitCode, 0);
});

t.test('headless: plugin log lines reach stderr, stdout stays NDJSON', async (t) => {
  const cluster = new Cluster(t);
  const plugin = cluster.file(
    'logs.mjs',
    "export default { name: 'logs', setup(api) { return { onStart() { api.log.info('info line'); api.log.warn('warn line') } } } }\n",
  );
  const bot = await cluster.spawn({ name: 'bot', args: ['--headless'], plugins: [plugin] });
  const deadline = Date.now() + 10_000;
  while (!bot.stderr.some((l) => l.includes('warn line')) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
  t.ok(
    bot.stderr.some((l) => l.includes('warn line')),
    'api.log.warn shows',
  );
  t.ok(
    bot.stderr.some((l) => l.includes('info line')),
    'api.log.info shows at the default level',
  );
  t.same(bot.junk, [], 'stdout stayed NDJSON');
  bot.kill('SIGTERM');
  t.equal((await bot.waitExit()).exitCode, 0);
});
