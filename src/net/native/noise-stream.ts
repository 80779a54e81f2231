/**
 * The Noise stream a native session runs on: our own over a raw socket (behind the allocation
 * guard, which also replays the bytes read past the upgrade line), or the NoiseSecretStream that
 * Hyperswarm handed us; and the remote host, read from whichever socket lies underneath.
 */
import { Socket } from 'node:net';
import SecretStream from '@hyperswarm/secret-stream';
import { GuardedSocket } from './guard.js';
import { plainHost } from './loss.js';
import type { NativeSessionOptions } from './session-options.js';

export interface NoiseStream {
  stream: SecretStream;
  /** The allocation guard, when we run the handshake over a raw socket. */
  guard: GuardedSocket | null;
  /** The remote IP, without an IPv4-mapped prefix; '' when unknown. */
  remoteHost: string;
}

export function noiseStream(
  transport: Socket | SecretStream,
  opts: Pick<NativeSessionOptions, 'isInitiator' | 'keyPair' | 'leftover'>,
): NoiseStream {
  if (transport instanceof Socket) {
    transport.setNoDelay(true);
    const guard = new GuardedSocket(transport, {
      isInitiator: opts.isInitiator,
      leftover: opts.leftover ?? null,
    });
    return {
      stream: new SecretStream(opts.isInitiator, guard, { keyPair: opts.keyPair }),
      guard,
      remoteHost: plainHost(transport.remoteAddress),
    };
  }
  const raw = transport.rawStream;
  return { stream: transport, guard: null, remoteHost: plainHost(raw?.remoteHost ?? raw?.remoteAddress) };
}
