/** Classic messages with the store on (issue 16): an incoming one-shot MESSAGE is stored too. */
import t from 'tap';
import { sendOneShot } from '../../src/net/classic/client.js';
import { loadIdentity } from '../../src/net/native/identity.js';
import { Peer } from '../../src/peer/peer.js';
import { Store } from '../../src/store/store.js';
import type { ChatMessage } from '../../src/types.js';
import { tempDir } from '../helpers/peers.js';
import { waitFor } from '../helpers/wait.js';

t.test('an incoming classic one-shot MESSAGE is stored before its event', async (t) => {
  const dataDir = tempDir(t);
  const store = Store.open({ dataDir });
  const peer = new Peer({
    name: 'sink',
    host: '127.0.0.1',
    port: 0,
    identity: await loadIdentity(dataDir),
    dataDir,
    store,
  });
  await peer.listen();
  t.teardown(() => peer.exit());
  const got = waitFor<[ChatMessage]>(peer, 'message');
  await sendOneShot(
    '127.0.0.1',
    peer.port,
    { verb: 'MESSAGE', name: 'old', port: 4000, text: 'hello' },
    2000,
  );
  const [msg] = await got;
  t.match(msg, { protocol: 'classic', text: 'hello', from: '127.0.0.1:4000' });
  t.match(
    peer.history(),
    [{ id: msg.id, direction: 'in', protocol: 'classic', text: 'hello' }],
    'in the history',
  );
});
