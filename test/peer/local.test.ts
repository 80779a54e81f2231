/** Which addresses are our own. */
import t from 'tap';
import { localAddresses, selfCheck } from '../../src/peer/local.js';

t.test('loopback and wildcards are ours; only at our own port', async (t) => {
  const hosts = localAddresses();
  for (const h of ['127.0.0.1', '0.0.0.0', '::1', '::', 'localhost']) t.ok(hosts.has(h), h);
  let port = 0;
  const isSelf = selfCheck(() => ({ host: '127.10.0.5', port }));
  port = 4000;
  t.ok(isSelf('127.0.0.1', 4000));
  t.ok(isSelf('127.10.0.5', 4000), 'the bound host');
  t.notOk(isSelf('127.0.0.1', 4001));
  t.notOk(isSelf('127.10.0.6', 4000));
  port = 4001;
  t.ok(isSelf('127.0.0.1', 4001), 'the port is read when asked (known once listening)');
});
