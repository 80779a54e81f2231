/**
 * The announce message of a room log's protomux channel: the author core this member writes
 * ("own") and every author core it holds. A late joiner learns from it which authors exist,
 * including those who are offline, and fetches their cores from whoever holds them.
 */
import c from 'compact-encoding';
import { type Codec, safe } from '../../net/native/messages.js';

/** Authors one announce may list; more are ignored by the sender and refused by the reader. */
export const MAX_ANNOUNCED_AUTHORS = 1024;
const KEY_BYTES = 32;

export interface Announce {
  own: Buffer;
  authors: Buffer[];
}

const codec: Codec<Announce> = {
  preencode(state, a) {
    c.fixed32.preencode(state, a.own);
    c.uint.preencode(state, a.authors.length);
    state.end += a.authors.length * KEY_BYTES;
  },
  encode(state, a) {
    c.fixed32.encode(state, a.own);
    c.uint.encode(state, a.authors.length);
    for (const k of a.authors) c.fixed32.encode(state, k);
  },
  decode(state) {
    const own = Buffer.from(c.fixed32.decode(state));
    const count = c.uint.decode(state);
    // checked before anything is allocated
    if (count > MAX_ANNOUNCED_AUTHORS) throw new Error('too many authors');
    if (state.end - state.start < count * KEY_BYTES) throw new Error('announce out of bounds');
    const authors: Buffer[] = [];
    for (let i = 0; i < count; i++) authors.push(Buffer.from(c.fixed32.decode(state)));
    return { own, authors };
  },
};

/** Decodes to null instead of throwing into protomux. */
export const announce = safe(codec);
