/**
 * The peerchat/1 channel on a mux: the hello is its handshake, then five messages in wire order
 * (docs/protocol.md). Each is decoded with messages.safe, so a handler gets null for a malformed one.
 */
import type Protomux from 'protomux';
import type { Hello, WireChat } from '../session.js';
import { PROTOCOL } from './hello.js';
import * as m from './messages.js';
import type { MessageHandle } from './writer.js';

export interface ChannelHandlers {
  /** The remote's hello arrived (null when malformed): the channel is open. */
  open(hello: Hello | null): void;
  /** The channel closed (the remote rejected or closed it, or the stream ended). */
  close(): void;
  chat(msg: WireChat | null): void;
  ack(msg: m.Ack | null): void;
  peersRequest(msg: m.PeersRequest | null): void;
  peersAnswer(msg: m.PeersAnswer | null): void;
  exit(msg: m.Exit | null): void;
}

export interface ChatChannel {
  chat: MessageHandle;
  ack: MessageHandle;
  peersRequest: MessageHandle;
  peersAnswer: MessageHandle;
  exit: MessageHandle;
  /** Send our hello; call it once the handles are in place, since the remote's may be waiting. */
  open(hello: Hello): void;
}

/** Null when the mux refuses the channel. */
export function createChatChannel(mux: Protomux, on: ChannelHandlers): ChatChannel | null {
  const channel = mux.createChannel<Hello | null>({
    protocol: PROTOCOL,
    handshake: m.safe(m.hello),
    messages: [
      { encoding: m.safe(m.chat), onmessage: (msg: WireChat | null) => on.chat(msg) },
      { encoding: m.safe(m.ack), onmessage: (msg: m.Ack | null) => on.ack(msg) },
      { encoding: m.safe(m.peersRequest), onmessage: (msg: m.PeersRequest | null) => on.peersRequest(msg) },
      { encoding: m.safe(m.peersAnswer), onmessage: (msg: m.PeersAnswer | null) => on.peersAnswer(msg) },
      { encoding: m.safe(m.exit), onmessage: (msg: m.Exit | null) => on.exit(msg) },
    ],
    onopen: (hello) => on.open(hello),
    onclose: () => on.close(),
  });
  if (!channel) return null;
  const [chat, ack, peersRequest, peersAnswer, exit] = channel.messages;
  if (!chat || !ack || !peersRequest || !peersAnswer || !exit) return null;
  return { chat, ack, peersRequest, peersAnswer, exit, open: (hello) => channel.open(hello) };
}
