/** Which plugin an error left outside the hooks belongs to: a rejection of its api call, or its module on the stack. */
import t from 'tap';
import { rejectedFor } from '../../src/plugins/api.js';
import { culprit, uncaughtError } from '../../src/plugins/uncaught.js';

const plugins = [
  { name: 'echo', url: 'file:///bots/echo.mjs' },
  { name: 'inline', url: null },
];

t.test(
  'an api rejection is marked with its plugin; a stack names the plugin whose file is on it',
  async (t) => {
    const dropped = new Error('ERR_DISCONNECTED: the peer left');
    rejectedFor.set(dropped, 'inline');
    t.equal(culprit(dropped, plugins)?.name, 'inline');

    const thrown = new Error('boom');
    thrown.stack =
      'Error: boom\n    at Timeout._onTimeout (file:///bots/echo.mjs:9:60)\n    at listOnTimeout (node:internal/timers:594:17)';
    t.equal(culprit(thrown, plugins)?.name, 'echo');

    const ours = new Error('a bug of our own');
    ours.stack = 'Error: a bug of our own\n    at x (file:///work/main/dist/peer/peer.js:1:1)';
    t.equal(culprit(ours, plugins), null, 'not a plugin: stays fatal');
    t.equal(culprit('a string', plugins), null);
    t.equal(culprit(null, plugins), null);
  },
);

t.test('the warning names the plugin and keeps the cause', async (t) => {
  const cause = new Error('thrown from a timer');
  t.match(uncaughtError('echo', cause), {
    code: 'ERR_PLUGIN_UNCAUGHT',
    message: /^plugin "echo" left an error outside its hooks .*: thrown from a timer$/,
    cause,
  });
});
