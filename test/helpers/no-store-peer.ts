/**
 * The part both fake peers (test/repl, test/plugins) share: what a peer with `store: false` that
 * joined no room answers for history, the outbox and rooms.
 */
import { EventEmitter } from 'node:events';
import { PeerchatError } from '../../src/errors.js';
import type { RoomMember, RoomSummary, SayResult, StoredMessage } from '../../src/peer/api.js';

export class NoStorePeer extends EventEmitter {
  history(): StoredMessage[] {
    return [];
  }
  outbox(): StoredMessage[] {
    return [];
  }
  async retry(id: string): Promise<StoredMessage> {
    throw new PeerchatError('ERR_USAGE', `retry ${id} needs the store`);
  }
  async drop(id: string): Promise<boolean> {
    throw new PeerchatError('ERR_USAGE', `drop ${id} needs the store`);
  }
  async join(room: string): Promise<RoomSummary[]> {
    throw new PeerchatError('ERR_ROOM', `cannot join ${room} here`);
  }
  async leave(): Promise<RoomSummary[]> {
    return [];
  }
  rooms(): RoomSummary[] {
    return [];
  }
  /** Room messages said through this peer, in order. */
  readonly said: Array<{ room: string; text: string }> = [];
  async say(room: string, text: string): Promise<SayResult> {
    this.said.push({ room, text });
    return { id: `say-${this.said.length}`, room, ts: Date.now(), holders: 1 };
  }
  members(room: string): RoomMember[] {
    throw new PeerchatError('ERR_ROOM', `room "${room}" is not joined; join it first`);
  }
}
