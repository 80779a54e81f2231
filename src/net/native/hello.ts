/**
 * The hello of a native session: the protocol version it opens, the capabilities we announce and
 * read, and the error that names a remote speaking another version.
 */
import { PeerchatError } from '../../errors.js';
import type { Hello } from '../session.js';

export const PROTOCOL = 'peerchat/1';
/** The capability hint in the extra field of CONNECT/ACK that asks for the native upgrade. */
export const CAPABILITY = 'peerchat/1';
/**
 * In the hello: this peer reads a refusal in an ack's tail (messages.ts `ack`). A 0.1.0 peer does
 * not list it and would read a refusal as an ack, so it is never sent one.
 */
export const REFUSAL_CAPABILITY = 'refusal';

/**
 * In the hello: a short-lived sender of this identity (a one-shot `peerchat send`, maybe beside the
 * peer that runs with the same key). A peer connected to that key already keeps that session and
 * takes the one-shot's messages on the side (peer/sessions.ts). Peers before it ignore the word.
 */
export const TRANSIENT_CAPABILITY = 'transient';

/** Whether this hello comes from a one-shot sender (see TRANSIENT_CAPABILITY). */
export function isTransient(hello: Hello | null | undefined): boolean {
  return hello?.capabilities.includes(TRANSIENT_CAPABILITY) ?? false;
}

/** Foreign protocols remembered per session, enough to name the remote's version. */
const MAX_FOREIGN = 4;

/** Our hello as sent: it always says we read refusals. */
export function ownHello(hello: Hello): Hello {
  if (hello.capabilities.includes(REFUSAL_CAPABILITY)) return hello;
  return { ...hello, capabilities: [...hello.capabilities, REFUSAL_CAPABILITY] };
}

/** Whether the remote may be sent a refusal (its hello lists the capability). */
export function readsRefusals(remote: Hello | null): boolean {
  return remote?.capabilities.includes(REFUSAL_CAPABILITY) ?? false;
}

/** The channels the remote opened besides ours, to tell "another version" from "no hello". */
export class ForeignProtocols {
  private readonly seen: string[] = [];

  /** Called for every channel the remote opens. */
  note(protocol: string): void {
    if (protocol !== PROTOCOL && this.seen.length < MAX_FOREIGN) this.seen.push(protocol);
  }

  /** The remote opened a peerchat channel of another version. */
  get otherVersion(): boolean {
    return this.seen.some((p) => p.startsWith('peerchat/'));
  }

  versionError(): PeerchatError {
    const theirs = this.seen.filter((p) => p.startsWith('peerchat/'));
    const what = theirs.length > 0 ? `speaks ${theirs.join(', ')}` : `did not open ${PROTOCOL}`;
    return new PeerchatError('ERR_PROTOCOL_VERSION', `the peer ${what}; this peer speaks ${PROTOCOL}`);
  }

  /** Why no hello arrived within `ms`: another version, or the stage that never completed. */
  timeoutError(authenticated: boolean, ms: number): PeerchatError {
    if (this.otherVersion) return this.versionError();
    const stage = authenticated ? 'no hello arrived' : 'the Noise handshake did not complete';
    return new PeerchatError('ERR_HANDSHAKE_TIMEOUT', `${stage} within ${ms} ms`);
  }
}
