/**
 * Group rooms (issue 18): append rate, catch-up (a late joiner reading `count` messages from one
 * member over loopback secret-stream) and fan-out (one author, `members` members each linked to
 * it, until all hold every message), with the one-to-one native throughput row of the same run as
 * the baseline. Each link runs through peerchat's own transport (MuxTransport with the room
 * channel policy), as a room connection does.
 * Run: npm run build && node bench/rows/room-log.js [count]
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import NoiseSecretStream from '@hyperswarm/secret-stream';
import Protomux from 'protomux';
import { MuxTransport } from '../../dist/net/native/mux-transport.js';
import { RoomChannels, RoomLog } from '../../dist/rooms/log/index.js';
import { metric, now, payload } from '../lib/util.js';
import { nativeThroughput } from './native-throughput.js';

export const DEFAULTS = { count: 10_000, bytes: 100, window: 1000, members: 9, fanOutCount: 2000 };

export async function roomLog(opts = {}) {
  const o = { ...DEFAULTS, ...opts };
  const topic = randomBytes(32);
  const dirs = [];
  const logs = [];
  const links = [];
  const open = async (extra = {}) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'peerchat-bench-roomlog-'));
    dirs.push(dir);
    const log = await RoomLog.open({ dataDir: dir, topic, maxEntries: o.count + o.fanOutCount, ...extra });
    logs.push(log);
    return log;
  };
  try {
    const text = payload(o.bytes);
    const author = await open();

    // append, one at a time (what say() does) and `window` at once
    let t0 = now();
    const serial = Math.min(o.count, 2000);
    for (let i = 0; i < serial; i++) await author.append(text, { name: 'bench' });
    const appendSerial = serial / ((now() - t0) / 1000);
    t0 = now();
    for (let sent = serial; sent < o.count; sent += o.window) {
      const n = Math.min(o.window, o.count - sent);
      await Promise.all(Array.from({ length: n }, () => author.append(text, { name: 'bench' })));
    }
    const appendWindowed = (o.count - serial) / ((now() - t0) / 1000);

    // catch-up: a late joiner reads everything
    const late = await open();
    t0 = now();
    links.push(await tcpLink(author, late));
    await until(() => late.size >= o.count, 120_000);
    const catchUp = o.count / ((now() - t0) / 1000);

    // the engine alone: the same blocks, one plain hypercore to another, same kind of connection
    const rawCatchUp = await rawHypercoreCatchUp(o, text, dirs);

    // fan-out: members linked to the author, then fanOutCount messages
    const members = [];
    for (let i = 0; i < o.members; i++) {
      const m = await open();
      links.push(await tcpLink(author, m));
      members.push(m);
    }
    await until(() => members.every((m) => m.size >= o.count), 300_000);
    const target = o.count + o.fanOutCount;
    t0 = now();
    for (let sent = 0; sent < o.fanOutCount; sent += o.window) {
      const n = Math.min(o.window, o.fanOutCount - sent);
      await Promise.all(Array.from({ length: n }, () => author.append(text, { name: 'bench' })));
    }
    await until(() => members.every((m) => m.size >= target), 120_000);
    const fanOut = o.fanOutCount / ((now() - t0) / 1000);

    const native =
      o.native === false
        ? null
        : await nativeThroughput(o.nativeOpts ?? { count: 5000, warmup: 1000, trials: 1 });
    const nativeRate = native ? native.metrics[0].peerchat : null;
    return {
      row: 'room-log',
      metrics: [
        metric(
          `room fan-out, 1 author to ${o.members} members, ${o.fanOutCount} msgs (msg/s until all hold all)`,
          'msg/s',
          fanOut,
          nativeRate,
          null,
          'baseline: native one-to-one throughput, same run',
        ),
        metric(
          `room catch-up, a late joiner reads ${o.count} msgs (msg/s)`,
          'msg/s',
          catchUp,
          nativeRate,
          null,
          'baseline: native one-to-one throughput, same run',
        ),
        metric(`room say, awaited one by one (msg/s)`, 'msg/s', appendSerial, null),
      ],
      details: {
        'append, awaited one by one (msg/s)': Math.round(appendSerial),
        [`append, ${o.window} at once (msg/s)`]: Math.round(appendWindowed),
        [`catch-up, late joiner reading ${o.count} (msg/s)`]: Math.round(catchUp),
        [`fan-out, 1 author to ${o.members} members, ${o.fanOutCount} msgs (msg/s until all hold all)`]:
          Math.round(fanOut),
        [`baseline: plain hypercore catch-up of ${o.count} blocks, same link (blocks/s)`]:
          Math.round(rawCatchUp),
        'baseline: native one-to-one throughput, same run (msg/s)': nativeRate && Math.round(nativeRate),
        config: { ...o, node: process.version },
      },
    };
  } finally {
    for (const l of links) l();
    for (const log of logs) await log.close().catch(() => {});
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

/** A writer core with `count` JSON blocks like the log's, downloaded in full by a second store. */
async function rawHypercoreCatchUp(o, text, dirs) {
  const { default: Corestore } = await import('corestore');
  const mk = () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'peerchat-bench-raw-'));
    dirs.push(dir);
    return new Corestore(dir);
  };
  const sa = mk();
  const sb = mk();
  try {
    const w = sa.get({ name: 'w' });
    await w.ready();
    const block = Buffer.from(
      JSON.stringify({ v: 1, id: 'x'.repeat(36), ts: Date.now(), name: 'bench', text }),
    );
    for (let i = 0; i < o.count; i += 1000) {
      await w.append(Array.from({ length: Math.min(1000, o.count - i) }, () => block));
    }
    const r = sb.get({ key: w.key });
    await r.ready();
    const t0 = now();
    const close = await tcpPair((na, nb) => {
      w.replicate(Protomux.from(na));
      r.replicate(Protomux.from(nb));
    });
    await r.download({ start: 0, end: o.count }).done();
    const rate = o.count / ((now() - t0) / 1000);
    close();
    return rate;
  } finally {
    await sa.close();
    await sb.close();
  }
}

async function until(cond, ms) {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('room-log bench: timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Two logs over a loopback TCP secret-stream, through peerchat's MuxTransport. Returns a closer. */
async function tcpLink(a, b) {
  const mux = (noise) => {
    const channels = new RoomChannels(
      () => true,
      (_hex, transport) => {
        // what a Peer does: the remote opened the room's channel, open ours first
        if (transport.userData) (transport === ta ? a : b).replicate(transport.userData);
      },
    );
    return new MuxTransport(noise, { messageCount: 5, channels });
  };
  let ta;
  return tcpPair((na, nb) => {
    ta = mux(na);
    const tb = mux(nb);
    a.replicate(new Protomux(ta));
    b.replicate(new Protomux(tb));
  });
}

async function tcpPair(attach) {
  const server = net.createServer();
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const accepted = new Promise((r) => server.once('connection', r));
  const client = net.connect(server.address().port, '127.0.0.1');
  const srv = await accepted;
  server.close();
  const na = new NoiseSecretStream(true, client);
  const nb = new NoiseSecretStream(false, srv);
  na.on('error', () => {});
  nb.on('error', () => {});
  attach(na, nb);
  return () => {
    na.destroy();
    nb.destroy();
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const count = Number(process.argv[2] ?? DEFAULTS.count);
  const result = await roomLog({ count });
  console.log(JSON.stringify(result, null, 2));
}
