/** Classic one-shot exchanges: MESSAGE and QUERY each on a new connection, as the original does. */
import { PeerchatError } from '../../errors.js';
import { formatAddress } from '../address.js';
import { dial } from '../dial.js';
import { encodeFrame, type Frame } from './codec.js';
import { ClassicConnection } from './connection.js';

/** Write one frame on a new connection and close it; resolves once the bytes left. */
export async function sendOneShot(
  host: string,
  port: number,
  frame: Frame,
  timeoutMs: number,
): Promise<void> {
  const socket = await dial(host, port, timeoutMs);
  await new Promise<void>((resolve, reject) => {
    socket.on('error', (err) =>
      reject(
        new PeerchatError('ERR_PEER_UNREACHABLE', `sending to ${formatAddress(host, port)} failed`, {
          cause: err,
        }),
      ),
    );
    socket.end(encodeFrame(frame), () => resolve());
  });
  // the original never answers a MESSAGE; reading would only hold the socket open
  socket.destroySoon();
}

/** Send QUERY on a new connection and wait for the PEERLIST answer. */
export async function queryPeerlist(
  host: string,
  port: number,
  timeoutMs: number,
  maxFrameBytes?: number,
): Promise<Extract<Frame, { verb: 'PEERLIST' }>> {
  const socket = await dial(host, port, timeoutMs);
  const conn = new ClassicConnection(socket, { maxFrameBytes });
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new PeerchatError(
              'ERR_QUERY_TIMEOUT',
              `no PEERLIST from ${formatAddress(host, port)} within ${timeoutMs} ms`,
            ),
          ),
        timeoutMs,
      );
      conn.on('frame', (frame) => {
        if (frame.verb !== 'PEERLIST') return;
        clearTimeout(timer);
        resolve(frame);
      });
      conn.on('close', () => {
        clearTimeout(timer);
        reject(
          new PeerchatError(
            'ERR_DISCONNECTED',
            `${formatAddress(host, port)} closed the query connection without a PEERLIST`,
          ),
        );
      });
      conn.write(encodeFrame({ verb: 'QUERY' })).catch(reject);
    });
  } finally {
    // the original never closes its query connection; we do
    socket.destroy();
  }
}
