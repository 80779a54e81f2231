import { once } from 'node:events';
import net from 'node:net';
import SecretStream from '@hyperswarm/secret-stream';
import t from 'tap';
import { noiseStream } from '../../../src/net/native/noise-stream.js';
import { keyPair } from './helpers.js';

t.test(
  'over a raw socket: our own Noise stream behind the guard, the remote IP read off the socket',
  async (t) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as net.AddressInfo).port;
    const accepted = once(server, 'connection');
    const dialed = net.connect(port, '127.0.0.1');
    const [socket] = (await accepted) as [net.Socket];
    if (dialed.connecting) await once(dialed, 'connect'); // a session is only ever given a connected socket
    t.teardown(() => {
      dialed.destroy();
      socket.destroy();
      server.close();
    });
    const kpA = keyPair();
    const kpB = keyPair();
    const a = noiseStream(dialed, { isInitiator: true, keyPair: kpA });
    const b = noiseStream(socket, { isInitiator: false, keyPair: kpB });
    t.ok(a.guard && b.guard, 'both sides are guarded');
    t.equal(a.remoteHost, '127.0.0.1');
    t.equal(b.remoteHost, '127.0.0.1');
    await Promise.all([once(a.stream, 'handshake'), once(b.stream, 'handshake')]);
    t.same(a.stream.remotePublicKey, kpB.publicKey, 'the handshake ran with the keys given');
    t.same(b.stream.remotePublicKey, kpA.publicKey);
  },
);

t.test('a NoiseSecretStream is used as it is, without a guard', async (t) => {
  const given = new SecretStream(true, null, { keyPair: keyPair() });
  t.teardown(() => given.destroy());
  const out = noiseStream(given, { isInitiator: true, keyPair: keyPair() });
  t.equal(out.stream, given);
  t.equal(out.guard, null);
  t.equal(out.remoteHost, '', 'an in-process stream has no remote host');
});
