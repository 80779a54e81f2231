/**
 * The wiring of one Peer: builds its modules (trust, listener, upgrade, sessions, inbox, outbox,
 * discovery, rooms, connector, contacts) and connects each to the others. Nothing here decides.
 */
import { LISTEN_BACKLOG } from '../defaults.js';
import { Listener } from '../net/listener.js';
import type { Session } from '../net/session.js';
import { Upgrade } from '../net/upgrade.js';
import type { Identity, PeerInfo } from '../types.js';
import { VERSION } from '../version.js';
import type { ConnectOptions } from './api.js';
import { Connector } from './connector.js';
import { Contacts } from './contacts.js';
import type { PeerCore } from './core.js';
import { Discovery } from './discovery.js';
import { Inbox } from './inbox.js';
import type { Interceptors, PeerOptions } from './options.js';
import { Outbox } from './outbox.js';
import { RoomLogs } from './room-log.js';
import { PeerRooms } from './rooms.js';
import { Sessions } from './sessions.js';
import type { PeerRecord } from './table.js';
import { guardedTransform } from './transforms.js';
import { Trust } from './trust.js';

/** What the wiring needs of the Peer itself. */
export interface PeerSide {
  readonly host: string;
  readonly classic: boolean;
  readonly identity: Identity | null;
  readonly interceptors: Readonly<Interceptors>;
  id(): string | null;
  /** Peer.connect: checks that the peer is open first. */
  connect(address: string, opts?: ConnectOptions): Promise<PeerInfo>;
}

export interface Parts {
  trust: Trust;
  listener: Listener;
  upgrade: Upgrade;
  sessions: Sessions;
  inbox: Inbox;
  outbox: Outbox;
  discovery: Discovery;
  rooms: PeerRooms;
  roomLogs: RoomLogs;
  connector: Connector;
  contacts: Contacts;
}

export function buildParts(core: PeerCore, opts: PeerOptions, peer: PeerSide): Parts {
  const { warnings, table, limits, timeouts } = core;
  const { classic } = peer;
  const transform = (dir: 'incoming' | 'outgoing') => guardedTransform(peer.interceptors, dir, warnings);
  const allowList = (opts.allow ?? null) !== null;
  const trust = new Trust({
    dataDir: opts.dataDir ?? null,
    allow: opts.allow ?? null,
    warn: warnings.sink,
    self: peer.identity?.id ?? null,
  });
  const p = { trust } as Parts;
  const classicAnswer = () => p.discovery.classicAnswer({ classic, allowList });
  p.discovery = new Discovery(core, (address) => peer.connect(address));
  p.inbox = new Inbox(core, transform('incoming'));
  if (core.store) {
    table.contacts = () => core.store?.contacts() ?? [];
    table.contactsNamed = (name) => core.store?.contactsNamed(name) ?? [];
    table.nameHolders = (name) => core.store?.nameHolders(name) ?? [];
    table.contactByKey = (key) => core.store?.contact(key) ?? null;
  }
  p.outbox = new Outbox(
    core,
    {
      resolve: (target) => {
        const rec = table.target(target);
        // a typed address of a peer that is away: its contact's name, not "?", is shown and stored
        const key = rec.name === null && !rec.session ? (rec.key ?? trust.pinned(rec.address)) : null;
        if (key) rec.name = p.contacts.nameOf(key);
        return rec;
      },
      connect: (address, key) => peer.connect(address, key ? { key } : {}),
      dial: (address, key) => peer.connect(address, { key }),
      pinned: (address) => trust.pinned(address),
      downgrade: (rec) => trust.refuseDowngrade(rec.address, rec.key),
      classic,
      transform: () => (peer.interceptors.outgoing ? transform('outgoing') : null),
    },
    opts.redial,
  );
  p.upgrade = new Upgrade({
    identity: peer.identity,
    classic,
    local: core.local,
    version: VERSION,
    limits,
    timeouts,
    warning: warnings.sink,
    verifyKey: (remote, expected) => trust.verifyKey(remote, expected),
    peerlist: classicAnswer,
    transient: opts.transient ?? false,
  });
  p.roomLogs = new RoomLogs(core, {
    dataDir: opts.dataDir ?? null,
    maxEntries: opts.roomMaxEntries,
    roomsOf: (key) => p.rooms.roomsOf(key),
    transform: transform('incoming'),
  });
  p.rooms = new PeerRooms(core, {
    logs: p.roomLogs,
    identity: peer.identity,
    dht: opts.dht,
    hello: () => p.upgrade.hello(),
    verifyKey: (remote) => trust.verifyKey(remote, null),
    adopt: (o) => p.connector.adopt(o),
  });
  p.sessions = new Sessions(core, {
    localId: () => peer.id(),
    roomsOf: (key) => p.rooms.roomsOf(key),
    attached: (rec, session) => {
      session.on('chat', (chat, ack, claimed) => p.inbox.fromSession(rec, session, chat, ack, claimed));
      session.on('peers-request', (reply) => reply(p.discovery.entriesFor(rec.address)));
    },
    established: (rec, session) => established(core, p.outbox, rec, session),
  });
  p.listener = new Listener({
    host: peer.host,
    port: core.local().port,
    backlog: LISTEN_BACKLOG,
    limits,
    idleMs: timeouts.idle,
    classic,
    closing: core.closing,
    warning: warnings.sink,
    connect: (frame, conn, host) => p.upgrade.answer(frame, conn, host, (o) => p.connector.adopt(o)),
    chat: (chat, ack, claimed) => p.inbox.fromClaim(chat, ack, claimed),
    peerlist: classicAnswer,
    exit: (host, port, conn) => p.sessions.exitFrom(host, port, conn),
  });
  p.connector = new Connector(core, {
    dial: (host, port, key) => p.upgrade.dial(host, port, key),
    admit: (o, expected) => trust.admit(o, expected),
    refuseDowngrade: (address, key) => trust.refuseDowngrade(address, key),
    attach: (o) => p.sessions.attach(o),
  });
  p.contacts = new Contacts(core);
  return p;
}

/** A session is up: the contact book learns of it, and a native peer gets its queued messages. */
function established(core: PeerCore, outbox: Outbox, rec: PeerRecord, session: Session): void {
  if (!core.store) return;
  seen(core, rec);
  if (session.protocol === 'native') outbox.flush(rec, session);
}

/** The contact book's "seen": at a session's start, at its end, and for live ones when we stop. */
export function seen(core: PeerCore, p: Pick<PeerRecord, 'address' | 'key' | 'name' | 'via'>): void {
  core.store
    ?.seenPeer({ address: p.address, key: p.key, name: p.name, via: p.via })
    .catch((err) => core.warnings.fail(err, 'store'));
}
