/**
 * Wraps the socket calls hyperdht and Node make (udx-native socket sends and stream connects, DNS
 * through udx, net connects, dgram sends) and calls `note(destination)` for each. Plain
 * JavaScript so a child peer can preload it (fixtures/egress-preload.mjs) and the test process
 * can use it too (recordEgress in netns.ts). Returns a function that undoes the wrapping.
 */
import dgram from 'node:dgram';
import { createRequire } from 'node:module';
import net from 'node:net';

export async function hookEgress(note) {
  const restores = [];
  const wrap = (proto, method, hostArg) => {
    const original = proto[method];
    if (typeof original !== 'function') return;
    proto[method] = function (...args) {
      note(String(hostArg(args)));
      return original.apply(this, args);
    };
    restores.push(() => {
      proto[method] = original;
    });
  };

  // udx-native as hyperdht resolves it, so the patched prototypes are the ones it uses
  const req = createRequire(createRequire(import.meta.url).resolve('hyperdht'));
  const UDX = req('udx-native');
  const udx = new UDX();
  const socket = udx.createSocket();
  const stream = udx.createStream(1);
  wrap(Object.getPrototypeOf(socket), 'send', (a) => a[2]);
  wrap(Object.getPrototypeOf(socket), 'trySend', (a) => a[2]);
  wrap(Object.getPrototypeOf(stream), 'connect', (a) => a[3]);
  wrap(Object.getPrototypeOf(stream), 'changeRemote', (a) => a[3]);
  wrap(UDX.prototype, 'lookup', (a) => `dns:${a[0]}`);
  await socket.close();
  stream.destroy();

  wrap(net.Socket.prototype, 'connect', (a) => {
    // net.connect() passes its normalized arguments as one array
    const first = Array.isArray(a[0]) ? a[0][0] : a[0];
    if (first && typeof first === 'object')
      return first.path ? `unix:${first.path}` : (first.host ?? 'localhost');
    return typeof a[1] === 'string' ? a[1] : 'localhost';
  });
  wrap(
    dgram.Socket.prototype,
    'send',
    (a) => a.find((x, i) => i > 0 && typeof x === 'string') ?? 'localhost',
  );

  return () => {
    for (const r of restores.splice(0)) r();
  };
}
