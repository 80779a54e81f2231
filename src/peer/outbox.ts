/**
 * Everything outgoing: the send policy (which session, connect first, queue or one-shot when the
 * peer is away, plugin transforms) and delivery: native messages through the durable outbox
 * (stored as queued, acked on the ack, resent with the same id on the next session with that key),
 * classic messages written once and never retried. Backpressure (backpressure.ts): a connected
 * peer's sends wait for room instead of failing; redial (redial.ts): a peer with queued messages is
 * dialled again until they are delivered, and each late delivery emits `message-delivered`.
 */
import { MAX_SEND_TEXT_BYTES } from '../defaults.js';
import { errorMessage, isPeerchatError, PeerchatError } from '../errors.js';
import { parseAddress } from '../net/address.js';
import { sendOneShot } from '../net/classic/client.js';
import { fingerprint } from '../net/native/identity.js';
import { RefusedError } from '../net/native/session.js';
import type { Session } from '../net/session.js';
import type { StoredMessage } from '../store/store.js';
import type { ChatMessage, PeerInfo, SendResult } from '../types.js';
import type { SendOptions } from './api.js';
import { Backpressure } from './backpressure.js';
import type { PeerCore } from './core.js';
import { LateAcks } from './late-acks.js';
import { checkClassicText, outgoingMessage, plain, sendError } from './messages.js';
import { Redial, type RedialOptions } from './redial.js';
import type { PeerRecord } from './table.js';

export { checkClassicText, plain } from './messages.js';

/** Native chat text limit (bytes); classic texts are limited by the original's 1024-byte read. */
export const MAX_TEXT_BYTES = MAX_SEND_TEXT_BYTES;
/** The soonest a refused message is resent: a whole queue resent every few ms would be a flood. */
const REFUSED_RESEND_MS = 1000;

/** What sending needs from the rest of the Peer. */
export interface OutboxHooks {
  /** The record for a target (a known peer, or a blank one for a typed address). */
  resolve(target: string): PeerRecord;
  /** Dial an address; `key`: the key the peer we mean has (a contact's), any other is refused. */
  connect(address: string, key: string | null): Promise<PeerInfo>;
  /** Dial an address expecting this key (the redial of a peer with queued messages). */
  dial(address: string, key: string): Promise<PeerInfo>;
  /** The key pinned for an address (a native peer that is away). */
  pinned(address: string): string | null;
  /** ERR_DOWNGRADE when this peer is known by a key (pinned, or had one): no plaintext to it. */
  downgrade(rec: PeerRecord): PeerchatError | null;
  /** Classic peers are accepted (a one-shot MESSAGE may reach a peer that does not ACK). */
  classic: boolean;
  /** The plugins' outgoing transform, if any. */
  transform(): ((msg: ChatMessage) => Promise<ChatMessage | null>) | null;
}

export class Outbox {
  /** Outgoing native ids written to a session and not acked yet: never resent twice at once. */
  private readonly inflight = new Set<string>();
  /** Per session, the ids whose ack wait timed out: a late ack still counts (late-acks.ts). */
  private readonly lateAcks = new LateAcks((m) => this.lateAck(m));
  private readonly backpressure: Backpressure;
  private readonly redial: Redial;
  /** Per key, the resend of what it refused (it said when; see refused()). */
  private readonly resends = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly core: PeerCore,
    private readonly hooks: OutboxHooks,
    redial: RedialOptions = {},
  ) {
    this.backpressure = new Backpressure((key) => core.store?.hasRoom(key) ?? true);
    this.redial = new Redial(
      {
        dial: (address, key) => hooks.dial(address, key),
        // a failed store read (a closed store) warns and skips: no rejection from the timer
        addressOf: (key) => core.warnings.guard(() => this.addressOf(key), null, 'redial: address'),
        waiting: (key) => core.warnings.guard(() => this.queued(key), false, 'redial: outbox'),
        connected: (key) => this.sessionFor(key) !== null,
        closing: () => core.closing(),
      },
      redial,
    );
  }

  /** Once listening: redial every peer the outbox still holds messages for (from an earlier run too). */
  start(): void {
    const keys = new Set<string>();
    for (const m of this.outbox()) if (m.key && m.protocol === 'native') keys.add(m.key);
    for (const key of keys) this.redial.want(key);
  }

  stop(): void {
    this.redial.stop();
    for (const timer of this.resends.values()) clearTimeout(timer);
    this.resends.clear();
  }

  /** A session with this key ended: if the outbox still holds messages for it, dial it again. */
  disconnected(key: string | null): void {
    if (key && this.store && !this.core.closing()) this.redial.want(key);
  }

  async send(target: string, text: string, opts: SendOptions = {}): Promise<SendResult> {
    const { core, hooks } = this;
    if (typeof text !== 'string' || text.length === 0) {
      throw new PeerchatError('ERR_USAGE', 'send(target, text) needs a non-empty text');
    }
    let rec = hooks.resolve(target);
    if (core.isSelf(rec.host, rec.port))
      throw new PeerchatError('ERR_INVALID_ADDRESS', `${rec.address} is this peer`);
    let session = rec.session;
    if (session && rec.key && parseAddress(target.trim())) {
      // a typed address whose session claims another key than its pin: never send to it by address
      const pinned = hooks.pinned(rec.address);
      if (pinned && pinned !== rec.key) {
        throw new PeerchatError(
          'ERR_KEY_MISMATCH',
          `${rec.address} is pinned to ${fingerprint(pinned)}, but the peer connected from there presents ` +
            `${fingerprint(rec.key)}; send by its name or fingerprint, or accept it with .trust ${rec.address} ${rec.key}`,
        );
      }
    }
    if (!session) {
      // a contact's key is what the dial must meet; else the pin of the address decides
      const expected = rec.key;
      try {
        if (!rec.address) {
          throw new PeerchatError(
            'ERR_PEER_UNREACHABLE',
            `${rec.name ?? 'this contact'} has no known address`,
          );
        }
        const info = await hooks.connect(rec.address, expected);
        rec = core.table.get(info.address) ?? rec;
        session = rec.session;
      } catch (err) {
        const code = err instanceof PeerchatError ? err.code : null;
        // someone else answers at a contact's last address: the contact is away, not changed
        const elsewhere = code === 'ERR_KEY_MISMATCH' && expected !== null;
        const unreachable =
          code === 'ERR_PEER_UNREACHABLE' ||
          code === 'ERR_CONNECT_TIMEOUT' ||
          code === 'ERR_DISCONNECTED' ||
          elsewhere;
        // a known native peer that is away: the outbox keeps the message until it is back
        const queue = unreachable && core.store !== null && this.keyOf(rec) !== null;
        // a peer that does not answer CONNECT may still take a one-shot MESSAGE, as the original sends it
        const oneShot = hooks.classic && code === 'ERR_CONNECT_TIMEOUT';
        if (!queue && !oneShot) throw err;
      }
    }
    const made = this.outgoingMessage(rec, session, text);
    const transform = hooks.transform();
    const msg = transform ? await transform(made) : made;
    if (!msg)
      return {
        id: made.id, // never stored nor sent: the id it would have had, to tell the drops apart
        to: rec.address,
        protocol: rec.protocol ?? 'classic',
        state: 'failed',
        error: 'dropped by a plugin',
        code: 'ERR_PLUGIN_DROPPED',
      };
    const result = await this.deliver(rec, session, msg, opts);
    core.emit('sent', msg, result);
    return result;
  }

  /** Send to every connected peer; one result per peer, never rejects for one peer's failure. */
  async broadcast(text: string): Promise<SendResult[]> {
    const targets = this.core.table.connected();
    const results = await Promise.allSettled(targets.map((r) => this.send(r.address, text)));
    return results.map((res, i) =>
      res.status === 'fulfilled'
        ? res.value
        : {
            id: '',
            to: targets[i]!.address,
            protocol: targets[i]!.protocol ?? 'classic',
            state: 'failed' as const,
            ...sendError(res.reason),
          },
    );
  }

  /** The key of a native peer, from its session or from the pin of its address. */
  private keyOf(rec: PeerRecord): string | null {
    return rec.key ?? this.hooks.pinned(rec.address);
  }

  private outgoingMessage(rec: PeerRecord, session: Session | null, text: string): ChatMessage {
    const key = session ? rec.key : this.keyOf(rec);
    const native = session ? session.protocol === 'native' : this.core.store !== null && key !== null;
    return outgoingMessage(rec, native, key, text);
  }

  private get store() {
    return this.core.store;
  }

  async deliver(
    rec: PeerRecord,
    session: Session | null,
    msg: ChatMessage,
    opts: SendOptions,
  ): Promise<SendResult> {
    const base = { id: msg.id, to: rec.address, protocol: msg.protocol };
    if (msg.protocol === 'native') {
      if (Buffer.byteLength(msg.text) > MAX_TEXT_BYTES) {
        throw new PeerchatError(
          'ERR_MESSAGE_TOO_LONG',
          `message is ${Buffer.byteLength(msg.text)} bytes; the limit is ${MAX_TEXT_BYTES}`,
        );
      }
      const store = this.store;
      if (store) {
        const key = msg.key;
        // a connected peer's send waits for room; an absent peer's meets ERR_OUTBOX_FULL
        const up = () => (session !== null && !session.closed) || this.sessionFor(key) !== null;
        if (key) await this.backpressure.admit(key, up, () => store.enqueue(msg, key));
        else await store.enqueue(msg, key);
      }
      // a session with this key may have opened while the row committed (its outbox flush ran
      // before the row existed), under this address or another: without this it waits for the next one
      const live = session && !session.closed ? session : store ? this.sessionFor(msg.key) : null;
      if (!live) {
        if (store && msg.key) this.redial.want(msg.key);
        return { ...base, state: 'queued' };
      }
      // a script that did not wait learns of the delivery from `message-delivered`
      const acked = this.transmit(live, msg, opts.wait === false);
      if (opts.wait === false) {
        acked.catch((err) => {
          if (!store)
            this.core.warnings.fail(err, `message ${msg.id} to ${rec.address} was not acknowledged`);
        });
        return { ...base, state: 'queued' };
      }
      try {
        await acked;
      } catch (err) {
        // with a store the message stays queued and is resent on the next session with this key
        if (!store) throw err;
        return { ...base, state: 'queued', ...sendError(err) };
      }
      return { ...base, state: 'acked' };
    }
    const downgrade = this.hooks.downgrade(rec);
    if (downgrade) throw downgrade;
    const { name, port } = this.core.local();
    checkClassicText(name, port, msg.text);
    await this.store?.enqueue(msg, null);
    try {
      if (session) await session.sendChat({ id: msg.id, ts: msg.ts, text: msg.text });
      else
        await sendOneShot(
          rec.host,
          rec.port,
          { verb: 'MESSAGE', name, port, text: msg.text },
          this.core.timeouts.connect,
        );
    } catch (err) {
      await this.store?.markFailed(msg.id, errorMessage(err));
      throw err;
    }
    await this.store?.markSent(msg.id);
    return { ...base, state: 'sent' };
  }

  /** Resend, with the same ids, what the outbox holds for this peer's key. */
  flush(rec: PeerRecord, session: Session): void {
    const store = this.store;
    if (!store || !rec.key) return;
    this.redial.connected(rec.key);
    for (const m of store.queuedFor(rec.key)) {
      if (this.inflight.has(m.id)) continue;
      this.transmit(session, m, true).catch(() => {}); // still queued: the next session tries again
    }
  }

  /** Mark queued messages past their expiry failed, and say so (a warning and `message-failed`). */
  expire(): void {
    let expired: StoredMessage[];
    try {
      expired = this.store?.expire() ?? [];
    } catch (err) {
      this.core.warnings.fail(err, 'could not check the outbox for expired messages'); // next interval retries
      return;
    }
    for (const m of expired) {
      const error = `not delivered to ${m.from} before it expired`;
      this.core.warnings.warn('ERR_MESSAGE_EXPIRED', `message ${m.id}: ${error}`);
      this.core.emit('message-failed', plain(m), error, { code: 'ERR_MESSAGE_EXPIRED', message: error });
    }
    if (expired.length > 0) this.backpressure.wake();
  }

  outbox(): StoredMessage[] {
    return this.store?.outbox() ?? [];
  }

  /**
   * A failed message is queued again; a queued native one (and a failed one) is sent now if its peer
   * is connected, else its peer is dialled now.
   */
  async retry(id: string): Promise<StoredMessage> {
    if (!this.store) throw new PeerchatError('ERR_USAGE', 'retry needs the store (store: false is set)');
    const waiting = this.store.outbox().find((r) => r.id === String(id) && r.state !== 'failed');
    const m = waiting ?? (await this.store.retry(id));
    if (!m.key || m.protocol !== 'native') return m;
    const live = this.sessionFor(m.key);
    if (!live) this.redial.now(m.key);
    else if (!this.inflight.has(m.id)) this.transmit(live, m, true).catch(() => {});
    return m;
  }

  async drop(id: string): Promise<boolean> {
    if (!this.store) throw new PeerchatError('ERR_USAGE', 'drop needs the store (store: false is set)');
    const dropped = await this.store.drop(id);
    if (dropped) this.backpressure.wake();
    return dropped;
  }

  /**
   * Write a native message and mark it acked once the ack arrives. `announce`: its send() did not
   * wait for the ack (queued, resent, retried), so the delivery is told with `message-delivered`.
   */
  private async transmit(session: Session, msg: ChatMessage, announce = false): Promise<void> {
    this.inflight.add(msg.id);
    try {
      await session.sendChat({ id: msg.id, ts: msg.ts, text: msg.text });
      const store = this.store;
      let changed = true;
      if (store) {
        const acked = store.markAcked(msg.id, msg.key);
        this.backpressure.wake(); // the ack made room: the next sends' enqueues join this commit
        changed = await acked;
      }
      if (announce && changed) this.core.emit('message-delivered', plain(msg));
    } catch (err) {
      if (this.store && isPeerchatError(err) && err.code === 'ERR_ACK_TIMEOUT')
        this.lateAcks.expect(session, msg);
      if (err instanceof RefusedError) this.refused(session, msg, err);
      // the session went away with this message unacked: dial the peer again
      if (this.store && msg.key && !this.sessionFor(msg.key)) this.redial.want(msg.key);
      throw err;
    } finally {
      this.inflight.delete(msg.id);
      this.backpressure.wake();
    }
  }

  /**
   * The peer refused a message (over its rate): say so; with a store it stays queued and what that
   * peer refused is resent on this session once it said it may be (at least REFUSED_RESEND_MS on).
   */
  private refused(session: Session, msg: ChatMessage, err: RefusedError): void {
    const key = msg.key;
    const store = this.store;
    // without a store the send itself fails with the refusal
    if (store === null || key === null || session.closed) return;
    this.core.warnings.warn(err.code, `${err.message}; it stays queued`);
    if (this.resends.has(key)) return;
    const timer = setTimeout(
      () => {
        this.resends.delete(key);
        if (session.closed || this.core.closing()) return; // a new session's flush resends it
        for (const m of store.queuedFor(key))
          if (!this.inflight.has(m.id)) this.transmit(session, m, true).catch(() => {});
      },
      Math.max(err.retryAfterMs, REFUSED_RESEND_MS),
    );
    timer.unref();
    this.resends.set(key, timer);
  }

  /** A late ack (late-acks.ts) marks its message acked; its delivery is told. */
  private lateAck(m: ChatMessage): void {
    if (!this.store) return;
    const done = this.store.markAcked(m.id, m.key);
    this.backpressure.wake();
    done
      .then((changed) => {
        if (changed) this.core.emit('message-delivered', plain(m));
      })
      .catch((e) => this.core.warnings.fail(e, 'store'));
  }

  private queued(key: string): boolean {
    return (this.store?.queuedFor(key).length ?? 0) > 0;
  }

  /** The last address a key was met at: the table, else the store's peers seen (newest first). */
  private addressOf(key: string): string | null {
    const rec = this.core.table.byKey(key);
    if (rec) return rec.address;
    return this.store?.peers().find((p) => p.key === key)?.address ?? null;
  }

  /** The open native session with this key, under any address. */
  private sessionFor(key: string | null): Session | null {
    const s = key ? this.core.table.byKey(key)?.session : null;
    return s && !s.closed && s.protocol === 'native' ? s : null;
  }
}
