/** Which keys are accepted: the expected key, the allow list, pinning on first use, trust. */
import t from 'tap';
import { Trust } from '../../src/peer/trust.js';
import { tempDir } from '../helpers/peers.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);

t.test('verifyKey: the expected key, then the allow list', async (t) => {
  const open = new Trust({ dataDir: null, allow: null });
  t.equal(open.verifyKey(A, null), null);
  t.equal(open.verifyKey(A, A.toUpperCase()), null, 'an expected key in capitals still matches');
  t.match(open.verifyKey(A, B), { code: 'ERR_KEY_MISMATCH', message: /was expected/ });
  const private_ = new Trust({ dataDir: null, allow: [B.toUpperCase()] });
  t.equal(private_.verifyKey(B, null), null);
  t.match(private_.verifyKey(A, null), { code: 'ERR_NOT_ALLOWED' });
  const me = new Trust({ dataDir: null, allow: null, self: A });
  t.match(me.verifyKey(A, null), { code: 'ERR_INVALID_ADDRESS', message: /this peer/ }, 'our own key is us');
  t.equal(me.verifyKey(B, null), null);
});

t.test('pin: first use pins, the same key passes, a changed key names the way to accept it', async (t) => {
  const dir = tempDir(t);
  const trust = new Trust({ dataDir: dir, allow: null });
  t.equal(trust.pinned('127.0.0.1:5000'), null);
  t.equal(trust.pin('127.0.0.1:5000', A), null);
  t.equal(trust.pinned('127.0.0.1:5000'), A);
  t.equal(trust.pin('127.0.0.1:5000', A), null);
  const refused = trust.pin('127.0.0.1:5000', B);
  t.match(refused, { code: 'ERR_KEY_MISMATCH', message: /peer\.trust\("127\.0\.0\.1:5000", "b{64}"\)/ });
  trust.trust('127.0.0.1:5000', B.toUpperCase());
  t.equal(trust.pin('127.0.0.1:5000', B), null, 'accepted deliberately');
  trust.flush();
  const again = new Trust({ dataDir: dir, allow: null });
  t.equal(again.pinned('127.0.0.1:5000'), B, 'kept on disk');
  t.throws(() => trust.trust('127.0.0.1:5000', 'xyz'), { code: 'ERR_USAGE' });
  t.throws(() => trust.trust('nowhere', A), { code: 'ERR_INVALID_ADDRESS' });
});

t.test(
  'admit: a stated port other than the dialled one is checked at the dialled address; only dialled addresses are pinned (issue 15 #2)',
  async (t) => {
    const trust = new Trust({ dataDir: tempDir(t), allow: null });
    const dialled = { host: '127.0.0.1', port: 5000 };
    t.equal(trust.admit({ host: '127.0.0.1', port: 6000, key: A }), null, 'an inbound session is accepted');
    t.equal(trust.pinned('127.0.0.1:6000'), null, 'but its claimed port is not pinned');
    t.equal(trust.admit({ host: '127.0.0.1', port: 5000, key: A, dialled }), null);
    t.equal(trust.pinned('127.0.0.1:5000'), A, 'the dialled address is pinned on first use');
    t.match(trust.admit({ host: '127.0.0.1', port: 5001, key: B, dialled }), {
      code: 'ERR_ADDRESS_MISMATCH',
    });
    t.equal(trust.pinned('127.0.0.1:5001'), null, 'a refused claim pins nothing');
    const forwarded = { host: '127.0.0.1', port: 7000 };
    t.equal(
      trust.admit({ host: '127.0.0.1', port: 7001, key: B, dialled: forwarded }),
      null,
      'a port forward works',
    );
    t.equal(trust.pinned('127.0.0.1:7000'), B, 'and pins the address that was dialled');
    t.equal(trust.pinned('127.0.0.1:7001'), null, 'not the claimed one');
    t.match(trust.admit({ host: '127.0.0.1', port: 5000, key: B, dialled }), { code: 'ERR_KEY_MISMATCH' });
    t.equal(
      trust.admit({ host: '127.0.0.1', port: 5000, key: B }),
      null,
      'an inbound claim of a pinned address with another key is another peer (a reused port), known by its key',
    );
    t.equal(trust.pinned('127.0.0.1:5000'), A, 'and the pin stays: a dial of that address still wants A');
  },
);
