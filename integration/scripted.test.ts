/**
 * Scenario 8: scripted use against a running peer: the `send` and `query` one-shots,
 * `peerchat run script.mjs` that sends and receives, and `--eval`.
 */
import { createServer } from 'node:net';
import path from 'node:path';
import t from 'tap';
import { Cluster, LOOPBACK, type PeerEvent, REPO } from './harness.js';

const BOT = path.join(REPO, 'plugins', 'bot', 'index.js');
const RUN_TIMEOUT_MS = 15_000;

t.setTimeout(60_000);

function ndjson(stdout: unknown): PeerEvent[] {
  return String(stdout)
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as PeerEvent);
}

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, LOOPBACK, () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

t.test('one-shots, run and --eval against a running peer', async (t) => {
  const cluster = new Cluster(t);
  const [target, friend] = await cluster.mesh(2, (i) => ({
    name: ['target', 'friend'][i],
    plugins: i === 0 ? [BOT] : [],
  }));
  if (!target || !friend) throw new Error('spawn failed');
  const opts = { timeoutMs: RUN_TIMEOUT_MS };

  t.test('peerchat send', async (t) => {
    const r = await cluster.run(
      ['--json', '--name', 'sender', 'send', target.address, 'one-shot: hello'],
      opts,
    );
    t.equal(r.exitCode, 0, `exit code 0 (stderr: ${String(r.stderr)})`);
    const events = ndjson(r.stdout);
    t.ok(
      events.every((e) => typeof e.type === 'string'),
      'stdout is NDJSON only',
    );
    t.match(events.find((e) => e.type === 'result')?.value, { to: target.address, state: 'acked' });
    const m = await target.waitFor('message', (e) => e.text === 'one-shot: hello');
    t.match(m, { name: 'sender', protocol: 'native', verified: true });
  });

  t.test('peerchat send to nobody fails with a one-line error', async (t) => {
    const port = await closedPort();
    const r = await cluster.run(['--name', 'sender', 'send', `${LOOPBACK}:${port}`, 'hello?'], opts);
    t.not(r.exitCode, 0, 'non-zero exit code');
    const lines = String(r.stderr).trim().split('\n');
    t.equal(lines.length, 1, 'one line on stderr');
    t.match(lines[0], /^peerchat: .*\(ERR_[A-Z_]+\)$/, 'a message with its code');
  });

  t.test('peerchat query', async (t) => {
    const r = await cluster.run(['--json', '--name', 'asker', 'query', target.address], opts);
    t.equal(r.exitCode, 0, `exit code 0 (stderr: ${String(r.stderr)})`);
    const result = ndjson(r.stdout).find((e) => e.type === 'result');
    t.ok(result, 'a result line');
    t.ok(
      ((result?.value ?? []) as string[]).includes(friend.address),
      'the answer lists the peers target is connected to',
    );
  });

  t.test('peerchat run script.mjs sends and receives', async (t) => {
    const script = cluster.file(
      'ping.mjs',
      `export default async function (peer) {
  const pong = new Promise((resolve) => {
    peer.on('message', (m) => { if (m.text === 'pong') resolve(m); });
  });
  const sent = await peer.send(${JSON.stringify(target.address)}, '!ping');
  const m = await pong;
  return { sent: sent.state, from: m.from, text: m.text, protocol: m.protocol, me: peer.name };
}
`,
    );
    const r = await cluster.run(['--json', '--name', 'scripter', 'run', script], opts);
    t.equal(r.exitCode, 0, `exit code 0 (stderr: ${String(r.stderr)})`);
    const result = ndjson(r.stdout).find((e) => e.type === 'result');
    t.match(result?.value, {
      sent: 'acked',
      from: target.address,
      text: 'pong',
      protocol: 'native',
      me: 'scripter',
    });
  });

  t.test('peerchat run: a script that throws exits non-zero', async (t) => {
    const script = cluster.file('boom.mjs', "export default async () => { throw new Error('boom'); };\n");
    const r = await cluster.run(['--json', '--name', 'scripter', 'run', script], opts);
    t.not(r.exitCode, 0);
    t.match(
      ndjson(r.stdout).find((e) => e.type === 'error'),
      { message: /boom/ },
    );
  });

  t.test('--eval', async (t) => {
    const code = `(await peer.send(${JSON.stringify(friend.address)}, "from eval")).state`;
    const r = await cluster.run(['--json', '--name', 'evaluator', '--eval', code], opts);
    t.equal(r.exitCode, 0, `exit code 0 (stderr: ${String(r.stderr)})`);
    const events = ndjson(r.stdout);
    t.equal(events[0]?.type, 'listening', 'the listening line comes first');
    t.same(
      events.filter((e) => e.type === 'result').map((e) => e.value),
      ['acked'],
      'one result: the value of the code',
    );
    t.match(await friend.waitFor('message', (e) => e.text === 'from eval'), { name: 'evaluator' });
  });
});

t.test('the value of the last expression after an await', async (t) => {
  const cluster = new Cluster(t);
  const opts = { timeoutMs: RUN_TIMEOUT_MS };
  const human = await cluster.run(['--name', 'e', '-e', 'await 1; 2'], opts);
  t.equal(human.exitCode, 0, String(human.stderr));
  t.equal(String(human.stdout).trim(), '2', "-e 'await 1; 2' prints 2, as node does");
  const json = await cluster.run(['--json', '--name', 'e', '-e', 'await 1; 2'], opts);
  t.same(
    ndjson(json.stdout).filter((e) => e.type === 'result'),
    [{ type: 'result', value: 2 }],
  );
  const piped = await cluster.spawn({ name: 'piped' });
  t.equal(await piped.eval('await new Promise((r) => setTimeout(r, 50)); "first"'), 'first');
  t.equal(await piped.eval('const kept = await 3; kept'), 3);
  t.equal(await piped.eval('kept * 2'), 6, 'a declaration next to await outlives its line');
});

t.test('peerchat run: arguments after --, and console.log on stderr under --json', async (t) => {
  const cluster = new Cluster(t);
  const script = cluster.file(
    'args.mjs',
    'export default async (peer, args) => { console.log("hello from", peer.name); return args; };\n',
  );
  const opts = { timeoutMs: RUN_TIMEOUT_MS };
  const r = await cluster.run(
    ['--json', '--name', 'runner', 'run', script, 'plain', '--', '--flag', 'x', '007'],
    opts,
  );
  t.equal(r.exitCode, 0, String(r.stderr));
  const events = ndjson(r.stdout); // throws if a line is not JSON
  t.same(
    events.filter((e) => e.type === 'result').map((e) => e.value),
    [['plain', '--flag', 'x', '007']],
    'the default export gets the arguments as typed',
  );
  t.match(String(r.stderr), /hello from runner/, "the script's console.log went to stderr");
  const human = await cluster.run(['--name', 'runner', 'run', script, '--', '-v'], opts);
  t.equal(human.exitCode, 0, String(human.stderr));
  t.match(String(human.stdout), /hello from runner\n\[ '-v' \]/, 'without --json, stdout as usual');
});
