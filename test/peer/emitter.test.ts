/** The Peer's typed events. */
import t from 'tap';
import { PeerEmitter } from '../../src/peer/emitter.js';
import type { PeerInfo } from '../../src/types.js';

t.test('on, once, off and emit carry PeerEvents arguments', async (t) => {
  const e = new PeerEmitter();
  const seen: string[] = [];
  const info = { address: '127.10.0.1:1' } as PeerInfo;
  const each = (p: PeerInfo) => seen.push(`each ${p.address}`);
  e.on('peer-connected', each);
  e.once('peer-connected', (p) => seen.push(`once ${p.address}`));
  t.equal(e.emit('peer-connected', info), true);
  e.emit('peer-connected', info);
  e.off('peer-connected', each);
  t.equal(e.emit('peer-connected', info), false, 'no listener left');
  t.same(seen, ['each 127.10.0.1:1', 'once 127.10.0.1:1', 'each 127.10.0.1:1']);
});
