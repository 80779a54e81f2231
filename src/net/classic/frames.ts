/**
 * The one dispatch of classic frames, for a connection before CONNECT (net/listener.ts) and for a
 * persistent session (ClassicSession): what differs is only what CONNECT and EXIT mean there.
 */
import { v7 as uuidv7 } from 'uuid';
import type { Warning } from '../../errors.js';
import { parseAddress } from '../address.js';
import type { ClaimedSender, WireChat } from '../session.js';
import { encodeFrame, type Frame } from './codec.js';
import type { ClassicConnection } from './connection.js';

export interface FrameRoute {
  connect(frame: Extract<Frame, { verb: 'CONNECT' }>, host: string): void;
  /** A MESSAGE or BARE frame; classic chats are never acked. */
  chat(chat: WireChat, ack: () => void, claimed: ClaimedSender): void;
  /** The addresses a QUERY is answered with; null refuses it (the connection is closed). */
  peerlist(): string[] | null;
  exit(port: number, host: string): void;
  warning(w: Warning): void;
}

const noAck = (): void => {};

/** The IP of the socket a frame came on, as captured when the connection was made. */
export function remoteHostOf(conn: ClassicConnection): string {
  return conn.remoteHost;
}

export function routeFrame(frame: Frame, conn: ClassicConnection, route: FrameRoute): void {
  const host = remoteHostOf(conn);
  const chat = (claimed: ClaimedSender, text: string) =>
    route.chat({ id: uuidv7(), ts: Date.now(), text }, noAck, claimed);
  switch (frame.verb) {
    case 'CONNECT':
      return route.connect(frame, host);
    case 'ACK':
      return route.warning({ code: 'ERR_BAD_FRAME', message: `unexpected ACK from ${host} ignored` });
    case 'MESSAGE':
      return chat({ host, port: frame.port, name: frame.name }, frame.text);
    case 'BARE': {
      const a = parseAddress(frame.address)!;
      return chat({ host, port: a.port, name: frame.name, statedHost: a.host }, frame.text);
    }
    case 'QUERY': {
      const keys = route.peerlist();
      if (keys === null) return conn.destroy();
      conn.write(encodeFrame({ verb: 'PEERLIST', keys, rejected: 0 })).catch(() => {});
      return;
    }
    case 'PEERLIST':
      return route.warning({
        code: 'ERR_UNSOLICITED_PEERLIST',
        message: `PEERLIST from ${host} without a QUERY was ignored`,
      });
    case 'EXIT':
      return route.exit(frame.port, host);
  }
}
