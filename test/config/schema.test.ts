import { readFile } from 'node:fs/promises';
import t from 'tap';
import { describeIssues, expectedErrorMap, formatPath } from '../../src/config/issues.js';
import { autoConnectEntries, configSchema, defaults, isAddress } from '../../src/config/schema.js';
import { suggest } from '../../src/config/suggest.js';

const KEY = 'ab'.repeat(32);

function issues(input: unknown): string[] {
  const res = configSchema.safeParse(input, { errorMap: expectedErrorMap });
  if (res.success) return [];
  return describeIssues(res.error.issues, input, configSchema);
}

t.test('config.example.json shows every key with its default, and is valid', async (t) => {
  const example: unknown = JSON.parse(
    await readFile(new URL('../../config.example.json', import.meta.url), 'utf8'),
  );
  const res = configSchema.safeParse(example);
  t.ok(res.success, 'parses');
  t.same(example, defaults, 'every key, with the default the schema gives');
  t.same(Object.keys(example as object).sort(), Object.keys(configSchema.shape).sort(), 'no key missing');
});

t.test('defaults match the peer options documented in src/peer/options.ts', async (t) => {
  t.equal(defaults.host, '0.0.0.0');
  t.equal(defaults.port, 0);
  t.equal(defaults.classic, true);
  t.equal(defaults.allow, null);
  t.same(defaults.timeouts, {
    connect: 5000,
    handshake: 10_000,
    idle: 30_000,
    ack: 10_000,
    query: 5000,
    keepAlive: 2000,
    session: 6000,
  });
  t.same(defaults.limits, {
    maxFrameBytes: 65_536,
    maxInbound: 512,
    maxInboundPerIp: 32,
    maxUnauthenticated: 64,
    maxPeerlistKeys: 256,
    messagesPerSecond: 10_000,
    bytesPerSecond: 1_048_576,
  });
  t.equal(defaults.dht.bootstrap, null, 'no bootstrap unless chosen');
  t.equal(defaults.pluginTimeoutMs, 5000);
});

t.test('nested objects keep defaults for the keys not given', async (t) => {
  const c = configSchema.parse({ timeouts: { connect: 100 }, outbox: { maxTotal: 5 } });
  t.equal(c.timeouts.connect, 100);
  t.equal(c.timeouts.session, 6000);
  t.equal(c.outbox.maxTotal, 5);
  t.equal(c.outbox.maxPerPeer, 1000);
});

t.test('accepts every documented form', async (t) => {
  const c = configSchema.parse({
    name: 'alice',
    autoConnect: [
      '127.0.0.1:5000',
      '[::1]:5001',
      { address: '127.0.1.2:5000', key: KEY.toUpperCase(), name: 'bob' },
    ],
    plugins: ['peerchat-plugin-x', ['./local.js', { level: 2 }]],
    allow: [KEY],
    dht: { bootstrap: ['127.0.0.1:49737', 'node.example.org:49737'] },
    rooms: ['lobby'],
    color: false,
    store: false,
    history: { retentionDays: 30, maxMessages: null },
  });
  t.same(c.autoConnect[2], { address: '127.0.1.2:5000', key: KEY, name: 'bob' }, 'keys are lower-cased');
  t.same(c.plugins[1], ['./local.js', { level: 2 }]);
  t.equal(configSchema.parse({ dht: { bootstrap: 'public' } }).dht.bootstrap, 'public');
});

t.test('each bad value names the key path, what was expected and what was found', async (t) => {
  const cases: [unknown, RegExp][] = [
    [{ name: 'a b' }, /^name: expected a name without any whitespace, found "a b"$/],
    // what every peer's CONNECT parser refuses: refused here instead of a timeout at each connect
    [{ name: 'a:b' }, /^name: expected a name without ":" \(classic frames use it as a separator\)/],
    [{ name: 'ev\u001b[31mil' }, /^name: expected a name without control or invisible characters/],
    [{ name: 'ad\u200bmin' }, /^name: expected a name without control or invisible characters/],
    [{ name: 'x'.repeat(33) }, /^name: expected a name of 1-32 characters, found "x{33}"$/],
    [{ name: '' }, /^name: expected a name of 1-32 characters, found ""$/], // one problem, not two
    [{ name: 'y'.repeat(100) }, /^name: expected a name of 1-32 characters, found "y{56}\.\.\.$/],
    [{ port: 70000 }, /^port: expected a whole number from 0 to 65535 \(0: any free port\), found 70000$/],
    [{ host: '999.1.1.1' }, /^host: expected a valid IPv4 address, found "999\.1\.1\.1"$/],
    [{ port: -1 }, /^port: expected a whole number from 0 to 65535 \(0: any free port\), found -1$/],
    [{ port: '5000' }, /^port: expected a number, found "5000"$/],
    [{ port: 1.5 }, /^port: expected a whole number from 0 to 65535 \(0: any free port\), found 1\.5$/],
    [
      { autoConnect: ['127.0.0.1:1', { address: 'nope' }] },
      /^autoConnect\[1\]\.address: expected an "ip:port" address.*found "nope"$/,
    ],
    [
      { autoConnect: [12] },
      /^autoConnect\[0\]: expected an "ip:port" string or an object \{ address, key\?, name\? \}, found 12$/,
    ],
    [
      { autoConnect: ['localhost:5000'] },
      /^autoConnect\[0\]: expected an "ip:port" address.*found "localhost:5000"$/,
    ],
    [
      { autoConnect: [{ address: '127.0.0.1:1', key: 'abc' }] },
      /^autoConnect\[0\]\.key: expected a 64-character hex public key, found "abc"$/,
    ],
    [{ autoConnect: 'x' }, /^autoConnect: expected an array, found "x"$/],
    [{ plugins: [['x', 5]] }, /^plugins\[0\]\[1\]: expected an object, found 5$/],
    [{ allow: ['zz'] }, /^allow\[0\]: expected a 64-character hex public key, found "zz"$/],
    [{ logLevel: 'loud' }, /^logLevel: expected one of "error", "warn", "info", "debug", found "loud"$/],
    [{ timeouts: { connect: 0 } }, /^timeouts\.connect: expected a number >= 1, found 0$/],
    [{ classic: 'yes' }, /^classic: expected a boolean, found "yes"$/],
    [
      { dht: { bootstrap: [] } },
      /^dht\.bootstrap: expected a non-empty list of "host:port".*found a list \[\]$/,
    ],
    [
      { dht: { bootstrap: false } },
      /^dht\.bootstrap: expected "public" or a non-empty list of "host:port", found false$/,
    ],
    [
      { dht: { bootstrap: ['nohost'] } },
      /^dht\.bootstrap\[0\]: expected a "host:port" bootstrap node, found "nohost"$/,
    ],
  ];
  for (const [input, re] of cases) {
    const got = issues(input);
    t.equal(got.length, 1, `one issue for ${JSON.stringify(input)}`);
    t.match(got[0], re);
  }
});

t.test('unknown keys are errors, with a suggestion when one is close', async (t) => {
  t.same(issues({ prot: 5 }), ['prot: unknown key (did you mean "port"?)']);
  t.same(issues({ timeouts: { conect: 5 } }), ['timeouts.conect: unknown key (did you mean "connect"?)']);
  t.same(issues({ autoConnect: [{ address: '127.0.0.1:1', nmae: 'x' }] }), [
    'autoConnect[0].nmae: unknown key (did you mean "name"?)',
  ]);
  const far = issues({ zzzzzz: 1 });
  t.match(far[0], /^zzzzzz: unknown key \(known keys: name, host, port/);
});

t.test('helpers', async (t) => {
  t.equal(formatPath(['autoConnect', 1, 'address']), 'autoConnect[1].address');
  t.equal(formatPath(['plugins', 0, 1]), 'plugins[0][1]');
  t.equal(suggest('prot', ['port', 'host']), 'port');
  t.equal(suggest('sned', ['send', 'query']), 'send');
  t.equal(suggest('banana', ['port', 'host']), null);
  t.ok(isAddress('127.0.0.1:5000'));
  t.ok(isAddress('[::1]:5000'));
  t.notOk(isAddress('127.0.0.1:0'));
  t.notOk(isAddress('127.0.0.1:65536'));
  t.notOk(isAddress('example.com:5000'));
  t.notOk(isAddress(':5000'));
});

t.test('autoConnectEntries gives every entry the object shape', async (t) => {
  const c = configSchema.parse({
    autoConnect: ['127.0.0.1:1', { address: '127.0.0.1:2', key: KEY, name: 'b' }],
  });
  t.same(autoConnectEntries(c.autoConnect), [
    { address: '127.0.0.1:1' },
    { address: '127.0.0.1:2', key: KEY, name: 'b' },
  ]);
});
