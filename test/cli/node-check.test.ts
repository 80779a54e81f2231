/** bin/node-check.js: an unsupported Node gets a clear message and exit 1, not a native crash. */
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import t from 'tap';
// @ts-expect-error plain JS next to the bin, no types
import { minimumNode, nodeProblem, olderThan } from '../../bin/node-check.js';

const BIN = fileURLToPath(new URL('../../bin/peerchat.js', import.meta.url));

t.test('versions are compared numerically against engines.node', async (t) => {
  t.equal(minimumNode(), '22.23.3');
  t.ok(olderThan('20.20.2', '22.23.3'));
  t.ok(olderThan('v22.9.0', '22.23.3'), '9 < 23, not as strings');
  t.ok(olderThan('22.23.2', '22.23.3'));
  t.notOk(olderThan('22.23.3', '22.23.3'));
  t.notOk(olderThan('24.21.0', '22.23.3'));
  t.notOk(olderThan('100.0.0', '22.23.3'));
  t.match(nodeProblem('20.20.2'), /needs Node\.js 22\.23\.3 or newer .*this is Node\.js 20\.20\.2/);
  t.equal(nodeProblem('24.21.0'), null);
  t.equal(nodeProblem(), null, 'the Node running the tests is supported');
});

// the machine's own Node, when it is an old one (Node 20 on these CI machines), runs the real bin
const system = spawnSync('/usr/bin/node', ['--version'], { encoding: 'utf8' });
const systemVersion = system.status === 0 ? system.stdout.trim() : null;
t.test(
  'an old Node gets the message and exit 1',
  {
    skip:
      systemVersion && olderThan(systemVersion, '22.23.3')
        ? false
        : 'no Node older than 22.23.3 at /usr/bin/node',
  },
  async (t) => {
    const r = spawnSync('/usr/bin/node', [BIN, '--version'], { encoding: 'utf8', timeout: 20_000 });
    t.equal(r.status, 1);
    t.match(r.stderr, /peerchat needs Node\.js 22\.23\.3 or newer/);
    t.equal(r.signal, null, 'no crash');
  },
);

t.test('a supported Node runs the bin', async (t) => {
  const out = execFileSync(process.execPath, [BIN, '--version'], { encoding: 'utf8' });
  t.match(out, /\d+\.\d+\.\d+/);
});
