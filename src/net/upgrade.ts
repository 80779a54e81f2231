/**
 * Opening a session on a TCP connection, both ways: CONNECT/ACK, then either a classic session or
 * the upgrade to a native one (Noise handshake + hello) when both sides are peerchat peers.
 * Everything it hands on is a ready Session with the remote's name, listening port and key.
 */
import type { Socket } from 'node:net';
import { PeerchatError, toWarning, type Warning } from '../errors.js';
import type { Identity, Via } from '../types.js';
import { formatAddress } from './address.js';
import { encodeFrame, type Frame } from './classic/codec.js';
import { ClassicConnection } from './classic/connection.js';
import { ClassicSession } from './classic/session.js';
import { dial } from './dial.js';
import { HandshakeSlots } from './handshake-slots.js';
import { isTransient, TRANSIENT_CAPABILITY } from './native/hello.js';
import { CAPABILITY, createNativeSession, type NativeTimeouts } from './native/session.js';
import type { Hello, Session } from './session.js';

/** A session ready to be attached to the peer tables. */
export interface Opened {
  session: Session;
  /** Remote IP as seen on the socket. */
  host: string;
  /** The listening port the remote states (CONNECT/ACK or hello). */
  port: number;
  name: string;
  /** The authenticated key (native), or null (classic). */
  key: string | null;
  via: Via;
  /** The address this side dialled (outbound only): the one place the port is known, not claimed. */
  dialled?: { host: string; port: number };
  /** Its hello says it is a one-shot sender (TRANSIENT_CAPABILITY). */
  transient?: boolean;
}

export interface UpgradeOptions {
  /** Without an identity only classic sessions are opened. */
  identity: Identity | null;
  /** Accept plaintext classic peers. */
  classic: boolean;
  /** Our name and listening port, read when a frame or hello is written. */
  local(): { name: string; port: number };
  version: string;
  limits: { maxFrameBytes: number; maxUnauthenticated: number };
  timeouts: NativeTimeouts & { connect: number };
  warning(w: Warning): void;
  /** Checked during the handshake (expected key, allow list); an error refuses the session. */
  verifyKey(remote: string, expected: string | null): PeerchatError | null;
  /** The addresses a classic QUERY on a session is answered with; null refuses it. */
  peerlist(): string[] | null;
  /** A one-shot sender: the hello lists TRANSIENT_CAPABILITY. */
  transient?: boolean;
}

export class Upgrade {
  /** Inbound handshakes, at most maxUnauthenticated; the busiest IP yields first (handshake-slots.ts). */
  private readonly slots: HandshakeSlots;

  constructor(private readonly opts: UpgradeOptions) {
    this.slots = new HandshakeSlots(opts.limits.maxUnauthenticated);
  }

  /** Dial, CONNECT, and open the session the ACK allows. */
  async dial(host: string, port: number, expectedKey: string | null): Promise<Opened> {
    const { timeouts, limits, identity } = this.opts;
    const label = formatAddress(host, port);
    const socket = await dial(host, port, timeouts.connect);
    const conn = new ClassicConnection(socket, { maxFrameBytes: limits.maxFrameBytes });
    conn.on('warning', (w) => this.opts.warning(w));
    const extra = identity ? [CAPABILITY] : [];
    let ack: Extract<Frame, { verb: 'ACK' }>;
    try {
      ack = await new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new PeerchatError(
                'ERR_CONNECT_TIMEOUT',
                `${label} did not answer CONNECT within ${timeouts.connect} ms`,
              ),
            ),
          timeouts.connect,
        );
        conn.on('frame', (frame) => {
          if (frame.verb !== 'ACK') return;
          clearTimeout(timer);
          resolve(frame);
        });
        conn.once('close', () => {
          clearTimeout(timer);
          reject(new PeerchatError('ERR_DISCONNECTED', `${label} closed the connection before ACK`));
        });
        const { name, port: ours } = this.opts.local();
        conn.write(encodeFrame({ verb: 'CONNECT', name, port: ours, extra })).catch(reject);
      });
    } catch (err) {
      socket.destroy();
      throw err;
    }
    conn.removeAllListeners('frame');
    conn.removeAllListeners('close');
    const hint = ack.extra.find((x) => x.startsWith('peerchat/'));
    if (hint && identity) {
      if (hint !== CAPABILITY) {
        socket.destroy();
        throw new PeerchatError(
          'ERR_PROTOCOL_VERSION',
          `${label} speaks ${hint}; this peer speaks ${CAPABILITY}`,
        );
      }
      const opened = await this.native(socket, true, conn.detach(), { host, expectedKey });
      return { ...opened, dialled: { host, port } };
    }
    if (!this.opts.classic) {
      socket.destroy();
      throw new PeerchatError('ERR_CLASSIC_REFUSED', `${label} speaks only classic (plaintext)`);
    }
    if (expectedKey) {
      socket.destroy();
      throw new PeerchatError(
        'ERR_KEY_MISMATCH',
        `${label} has no key (classic peer), but key ${expectedKey.slice(0, 16)}… was expected`,
      );
    }
    const session = this.classicSession(conn, host, ack.port, true);
    return { session, host, port: ack.port, name: ack.name, key: null, via: 'tcp', dialled: { host, port } };
  }

  /**
   * Answer an inbound CONNECT. `adopt` attaches the opened session; what fails on the way is a
   * warning with context, never a throw.
   */
  answer(
    frame: Extract<Frame, { verb: 'CONNECT' }>,
    conn: ClassicConnection,
    host: string,
    adopt: (o: Opened) => unknown,
  ): void {
    const { name, port } = this.opts.local();
    const hint = frame.extra.find((x) => x.startsWith('peerchat/'));
    if (hint && this.opts.identity) {
      // before the ACK: a refused stranger must not see a handshake begin and then fail
      const slot = this.slots.take(host, conn.socket);
      if (!slot.ok) {
        this.opts.warning({
          code: 'ERR_TOO_MANY_CONNECTIONS',
          message: `refused a handshake from ${host}:${frame.port}: ${slot.why}`,
        });
        conn.destroy();
        return;
      }
      if (slot.evicted !== null) {
        this.opts.warning({
          code: 'ERR_TOO_MANY_CONNECTIONS',
          message: `closed the oldest unfinished handshake of ${slot.evicted} for a newcomer from ${host}`,
        });
      }
      void conn.write(encodeFrame({ verb: 'ACK', name, port, extra: [CAPABILITY] })).catch(() => {});
      if (hint !== CAPABILITY) {
        this.opts.warning({
          code: 'ERR_PROTOCOL_VERSION',
          message: `${host}:${frame.port} speaks ${hint}; this peer speaks ${CAPABILITY}`,
        });
        conn.socket.end();
        return;
      }
      const leftover = conn.detach();
      this.native(conn.socket, false, leftover, { host, expectedKey: null })
        .finally(() => this.slots.release(host, conn.socket))
        .then(adopt)
        .catch((err) => this.fail(err, `native session with ${host}:${frame.port} failed`));
      return;
    }
    if (!this.opts.classic) {
      this.opts.warning({
        code: 'ERR_CLASSIC_REFUSED',
        message: `refused classic peer ${host}:${frame.port} (classic is off)`,
      });
      conn.destroy();
      return;
    }
    // a persistent connection is quiet by nature: no idle timeout from here on
    conn.socket.setTimeout(0);
    conn.removeAllListeners('frame');
    const session = this.classicSession(conn, host, frame.port, false);
    conn
      .write(encodeFrame({ verb: 'ACK', name, port, extra: [] }))
      .then(() => adopt({ session, host, port: frame.port, name: frame.name, key: null, via: 'tcp' }))
      .catch((err) => this.fail(err, `ACK to ${host}:${frame.port} failed`));
  }

  /** Open a native session over an upgraded socket (at most maxUnauthenticated handshakes at once). */
  private async native(
    transport: Socket,
    isInitiator: boolean,
    leftover: Buffer,
    ctx: { host: string; expectedKey: string | null },
  ): Promise<Opened> {
    const identity = this.opts.identity!;
    // inbound handshakes hold a slot (answer()); our own dials are bounded by what we dial
    const session = createNativeSession(transport, {
      isInitiator,
      keyPair: { publicKey: identity.publicKey, secretKey: identity.secretKey },
      hello: this.hello(),
      leftover,
      timeouts: this.opts.timeouts,
      verifyKey: (remote) => this.opts.verifyKey(remote, ctx.expectedKey),
    });
    session.on('warning', (w) => this.opts.warning(w));
    let hello: Hello;
    try {
      hello = await session.ready;
    } catch (err) {
      session.destroy('closed');
      throw err;
    }
    if (session.closed) {
      throw new PeerchatError('ERR_DISCONNECTED', `${ctx.host} closed the session right after its hello`);
    }
    if (!isInitiator && hello.port === 0) {
      // its port is its address here: 0 cannot be dialled, as a classic frame's port 0 cannot
      session.destroy('closed');
      throw new PeerchatError('ERR_BAD_FRAME', `${ctx.host} stated port 0 in its hello`);
    }
    return {
      session,
      host: ctx.host,
      port: hello.port,
      name: hello.name,
      key: session.remoteKey,
      via: 'tcp',
      ...(isTransient(hello) ? { transient: true } : {}),
    };
  }

  hello(): Hello {
    const { name, port } = this.opts.local();
    const capabilities = this.opts.transient ? [CAPABILITY, TRANSIENT_CAPABILITY] : [CAPABILITY];
    return { name, port, version: this.opts.version, capabilities };
  }

  private classicSession(conn: ClassicConnection, host: string, port: number, isInitiator: boolean) {
    const session = new ClassicSession(conn, host, port, {
      local: () => this.opts.local(),
      connectTimeoutMs: this.opts.timeouts.connect,
      queryTimeoutMs: this.opts.timeouts.query,
      maxFrameBytes: this.opts.limits.maxFrameBytes,
      peerlist: () => this.opts.peerlist(),
      isInitiator,
    });
    session.on('warning', (w) => this.opts.warning(w));
    return session;
  }

  private fail(err: unknown, context: string): void {
    this.opts.warning(toWarning(err, context, 'ERR_INTERNAL'));
  }
}
