/**
 * A port that cannot be bound: the peer reports ERR_LISTEN and exits 1, in every mode, with the
 * store on. Before, the store's writer thread kept the process alive after the error was printed,
 * so a service manager waiting for the exit (Restart=on-failure) waited for ever.
 */
import { once } from 'node:events';
import { createServer } from 'node:net';
import t from 'tap';
import { Cluster } from './harness.js';

t.setTimeout(60_000);

t.test('a port in use: ERR_LISTEN, then exit 1 (REPL script, -e, headless, run)', async (t) => {
  const squatter = createServer();
  squatter.listen(0, '127.0.0.1');
  await once(squatter, 'listening');
  t.teardown(() => squatter.close());
  const port = (squatter.address() as { port: number }).port;
  const cluster = new Cluster(t);
  const script = cluster.file('main.mjs', 'export default async () => 1\n');
  const modes: Array<[string, string[], 'pipe' | 'ignore']> = [
    ['piped script', [], 'pipe'],
    ['-e', ['-e', '1'], 'pipe'],
    ['headless', ['--headless'], 'ignore'],
    ['run', ['run', script], 'ignore'],
  ];
  for (const [label, args, stdin] of modes) {
    const p = await cluster.spawn({
      name: 'busy',
      noPort: true,
      waitListening: false,
      stdin,
      args: ['--port', String(port), ...args],
    });
    const exit = await p.waitExit();
    t.equal(exit.exitCode, 1, `${label}: exit code 1`);
    const said = [...p.events.map((e) => JSON.stringify(e)), ...p.stderr].join('\n');
    t.match(said, /ERR_LISTEN/, `${label}: the error is coded`);
    t.notOk(
      p.events.some((e) => e.type === 'listening'),
      `${label}: it never said it listens`,
    );
  }
});
