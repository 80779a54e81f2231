/** Outbound TCP with a deadline and coded errors. */
import { connect, type Socket } from 'node:net';
import { PeerchatError } from '../errors.js';
import { formatAddress } from './address.js';

export function dial(host: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, noDelay: true });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new PeerchatError(
          'ERR_CONNECT_TIMEOUT',
          `no answer from ${formatAddress(host, port)} within ${timeoutMs} ms`,
        ),
      );
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(
        new PeerchatError(
          'ERR_PEER_UNREACHABLE',
          `cannot reach ${formatAddress(host, port)}: ${err.message}`,
          { cause: err },
        ),
      );
    });
  });
}
