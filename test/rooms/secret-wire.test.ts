/**
 * A secret room's message is not on the wire in plaintext (issue 18): three in-process Peers meet on
 * a 10-node testnet inside a loopback-only network namespace and one says a distinctive text.
 * Recorded: (a) every byte each UDX stream hands to or takes from udx-native (the Noise ciphertext
 * that goes into the UDP packets), (b) every decrypted protomux frame a relaying member receives.
 * Neither holds the text, and the message still arrives. The open-room control shows (b) does see
 * the text when the room has no secret, so the recorder sees the room traffic.
 */
import { netnsTest, type Tap } from '../../integration/helpers/netns.js';

await netnsTest(import.meta.url, main);

async function main(t: Tap): Promise<void> {
  const { randomBytes } = await import('node:crypto');
  const { createRequire } = await import('node:module');
  const { roomPeers, roomTestnet } = await import('./room-members.js');
  const { until } = await import('../helpers/wait.js');
  const { MuxTransport } = await import('../../src/net/native/mux-transport.js');
  type Peer = import('../../src/peer/peer.js').Peer;

  t.setTimeout(60_000);

  // (a) the wire: patch udx-native's stream class before any stream exists. `_writev` hands bytes
  // to the native send path; `_consumeData` copies what the native side received.
  const UDXStream = createRequire(import.meta.url)('udx-native/lib/stream.js') as {
    prototype: Record<string, (...args: unknown[]) => unknown>;
  };
  const wire = new Map<object, { out: Buffer[]; in: Buffer[] }>();
  const wireOf = (s: object) => {
    let w = wire.get(s);
    if (!w) {
      w = { out: [], in: [] };
      wire.set(s, w);
    }
    return w;
  };
  const proto = UDXStream.prototype;
  const { _writev: writev, _consumeData: consume, send, trySend } = proto;
  proto._writev = function (this: object, buffers: unknown, cb: unknown) {
    for (const b of buffers as Buffer[]) wireOf(this).out.push(Buffer.from(b));
    return writev!.call(this, buffers, cb);
  };
  proto._consumeData = function (this: object, len: unknown) {
    const data = consume!.call(this, len) as Buffer;
    wireOf(this).in.push(Buffer.from(data));
    return data;
  };
  for (const [key, fn] of [
    ['send', send],
    ['trySend', trySend],
  ] as const) {
    if (!fn) continue;
    proto[key] = function (this: object, buffer: unknown) {
      wireOf(this).out.push(Buffer.from(buffer as Buffer));
      return fn.call(this, buffer);
    };
  }
  // (b) the decrypted frames: what each peerchat transport receives from its NoiseSecretStream
  const mt = MuxTransport.prototype as unknown as { onData(buf: Buffer): void };
  const onData = mt.onData;
  const frames = new Map<object, Buffer[]>();
  mt.onData = function (this: object, buf: Buffer) {
    let list = frames.get(this);
    if (!list) {
      list = [];
      frames.set(this, list);
    }
    list.push(Buffer.from(buf));
    return onData.call(this, buf);
  };
  t.teardown(() => {
    Object.assign(proto, { _writev: writev, _consumeData: consume, send, trySend });
    mt.onData = onData;
  });

  const { member } = await roomTestnet(t);

  /** The transports of `p`'s live sessions (a session's protomux reads from its MuxTransport). */
  const transportsOf = (p: Peer) => {
    type Rec = { session: { mux: { stream: object } | null } | null };
    const table = (p as unknown as { table: { connected(): Rec[] } }).table;
    return table.connected().flatMap((r) => (r.session?.mux ? [r.session.mux.stream] : []));
  };
  const wireBytes = () => {
    let out = 0;
    let inn = 0;
    for (const w of wire.values()) {
      for (const b of w.out) out += b.length;
      for (const b of w.in) inn += b.length;
    }
    return { out, in: inn };
  };
  const onWire = (needle: Buffer) =>
    [...wire.values()].some(
      (w) => Buffer.concat(w.out).includes(needle) || Buffer.concat(w.in).includes(needle),
    );

  /** Three members join `room`; alice says `text`; returns what bob (who holds and serves it) received. */
  const run = async (t: Parameters<typeof member>[0], room: string, text: string, secret?: string) => {
    const a = await member(t, 'alice');
    const b = await member(t, 'bob');
    const c = await member(t, 'carol');
    await Promise.all([a, b, c].map((m) => m.p.join(room, secret === undefined ? {} : { secret })));
    await until(() => [a, b, c].every((m) => roomPeers(m.p, room) === 2), 20_000, 'all connected');
    const before = wireBytes();
    await a.p.say(room, text);
    await until(() => b.got.length === 1 && c.got.length === 1, 10_000, 'bob and carol got it');
    for (const [who, m] of [
      ['bob', b],
      ['carol', c],
    ] as const) {
      t.equal(m.got[0]?.text, text, `${who} got the text`);
      t.equal(m.got[0]?.room, room, `${who} got it in the room`);
    }
    const after = wireBytes();
    const bobFrames = transportsOf(b.p).flatMap((tr) => frames.get(tr) ?? []);
    return { before, after, bobFrames };
  };

  t.test('a secret room: the text is neither on the wire nor in the frames a member relays', async (t) => {
    const text = `secret-wire-${randomBytes(8).toString('hex')}`;
    const r = await run(t, 'vault', text, randomBytes(16).toString('hex'));
    const needle = Buffer.from(text);
    const sent = r.after.out - r.before.out;
    t.ok(sent > 0, `the wire recorder saw the message go out (${sent} bytes while it travelled)`);
    t.notOk(
      onWire(needle),
      `not in the ${r.after.out} bytes sent / ${r.after.in} received on ${wire.size} streams`,
    );
    const bytes = r.bobFrames.reduce((n, f) => n + f.length, 0);
    t.ok(
      r.bobFrames.length > 0,
      `bob's decrypted frames recorded: ${r.bobFrames.length} frames, ${bytes} bytes`,
    );
    t.notOk(
      r.bobFrames.some((f) => f.includes(needle)),
      'not in any decrypted frame bob received',
    );
    t.comment(
      `secret: wire ${r.after.out} B out / ${r.after.in} B in on ${wire.size} UDX streams (${sent} B out while the message travelled); bob received ${r.bobFrames.length} frames, ${bytes} B`,
    );
  });

  t.test(
    'control, an open room: the recorder sees the text in the decrypted frames, not on the wire',
    async (t) => {
      const text = `open-wire-${randomBytes(8).toString('hex')}`;
      const r = await run(t, 'lobby', text);
      const needle = Buffer.from(text);
      t.ok(
        r.bobFrames.some((f) => f.includes(needle)),
        'the text is in a decrypted frame bob received',
      );
      t.notOk(onWire(needle), 'Noise hides it on the wire all the same');
      const bytes = r.bobFrames.reduce((n, f) => n + f.length, 0);
      t.comment(
        `open: wire ${r.after.out} B out / ${r.after.in} B in since the file started; bob received ${r.bobFrames.length} frames, ${bytes} B`,
      );
    },
  );
}
