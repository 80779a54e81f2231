/** Issue 15 #11: wherever a fingerprint identifies a peer it shows at least 64 bits. */
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { fingerprint } from '../../src/net/native/identity.js';
import {
  createColors,
  formatConnected,
  formatMessage,
  formatPeerTable,
  shortFingerprint,
} from '../../src/repl/format.js';

const c = createColors(false);
const key = randomBytes(32).toString('hex');
const fp = fingerprint(key);
/** Hex digits of the fingerprint shown in `s`, in its longest visible run. */
const bitsShown = (s: string) => {
  const runs = s.match(/[0-9a-f]{4}(?::[0-9a-f]{4})*/g) ?? [];
  return Math.max(0, ...runs.map((r) => r.replaceAll(':', '').length * 4));
};

t.test('the fingerprint itself carries 64 bits', async (t) => {
  t.equal(bitsShown(fp), 64);
});

t.test('every human view shows at least 64 bits', async (t) => {
  t.ok(bitsShown(shortFingerprint(fp)) >= 64, `shortFingerprint: ${shortFingerprint(fp)}`);
  const msg = formatMessage(
    {
      id: 'x',
      from: '127.0.0.1:5001',
      name: 'alice',
      text: 'hi',
      protocol: 'native',
      verified: true,
      key,
      fingerprint: fp,
      ts: Date.now(),
      direction: 'in',
    },
    c,
  );
  t.ok(bitsShown(msg) >= 64, msg);
  const info = {
    address: '127.0.0.1:5001',
    name: 'alice',
    connected: true,
    protocol: 'native' as const,
    key,
    fingerprint: fp,
    via: 'tcp' as const,
  };
  const connected = formatConnected(info, c);
  t.ok(bitsShown(connected) >= 64, connected);
  const table = formatPeerTable([info], c);
  t.ok(bitsShown(table) >= 64, table);
});
