import t from 'tap';
import { isPeerchatError } from '../../../src/errors.js';
import {
  ForeignProtocols,
  ownHello,
  PROTOCOL,
  REFUSAL_CAPABILITY,
  readsRefusals,
} from '../../../src/net/native/hello.js';
import type { Hello } from '../../../src/net/session.js';

const hello = (capabilities: string[]): Hello => ({ name: 'a', port: 1, version: '0.1.0', capabilities });

t.test('ownHello adds the refusal capability once and keeps the rest', async (t) => {
  const sent = ownHello(hello(['peerchat/1']));
  t.same(sent.capabilities, ['peerchat/1', REFUSAL_CAPABILITY]);
  t.equal(sent.name, 'a');
  const already = hello([REFUSAL_CAPABILITY, 'x']);
  t.same(ownHello(already).capabilities, [REFUSAL_CAPABILITY, 'x'], 'not listed twice');
});

t.test('readsRefusals: only a hello that lists the capability', async (t) => {
  t.equal(readsRefusals(hello([REFUSAL_CAPABILITY])), true);
  t.equal(readsRefusals(hello(['peerchat/1'])), false, 'a 0.1.0 hello');
  t.equal(readsRefusals(null), false, 'no hello yet');
});

t.test('ForeignProtocols names another peerchat version, ignores ours and others', async (t) => {
  const foreign = new ForeignProtocols();
  foreign.note(PROTOCOL);
  foreign.note('other/1');
  t.equal(foreign.otherVersion, false);
  let err = foreign.versionError();
  t.equal(err.code, 'ERR_PROTOCOL_VERSION');
  t.match(err.message, `did not open ${PROTOCOL}`);
  foreign.note('peerchat/2');
  t.equal(foreign.otherVersion, true);
  err = foreign.versionError();
  t.match(err.message, 'the peer speaks peerchat/2; this peer speaks peerchat/1');
});

t.test('ForeignProtocols remembers at most four channels', async (t) => {
  const foreign = new ForeignProtocols();
  for (let i = 0; i < 4; i++) foreign.note(`junk/${i}`);
  foreign.note('peerchat/9');
  t.equal(foreign.otherVersion, false, 'the fifth is not kept');
});

t.test('timeoutError: another version first, else the stage that did not complete', async (t) => {
  const none = new ForeignProtocols();
  let err = none.timeoutError(false, 250);
  t.ok(isPeerchatError(err));
  t.equal(err.code, 'ERR_HANDSHAKE_TIMEOUT');
  t.equal(err.message, 'the Noise handshake did not complete within 250 ms');
  err = none.timeoutError(true, 250);
  t.equal(err.message, 'no hello arrived within 250 ms');
  const other = new ForeignProtocols();
  other.note('peerchat/2');
  t.equal(other.timeoutError(true, 250).code, 'ERR_PROTOCOL_VERSION');
});
