/** Why a native session ended: the codes of bad input, and a coded error for a stream that closed on its own. */
import { isPeerchatError, PeerchatError } from '../../errors.js';

/** Errors of bad input: the session closes with a 'warning' (after ready) or a rejected ready. */
export const BAD_INPUT = new Set([
  'ERR_BAD_FRAME',
  'ERR_FRAME_TOO_LARGE',
  'ERR_UNKNOWN_MESSAGE',
  'ERR_CHANNEL_FLOOD',
  'ERR_CHANNEL_REFUSED',
  'ERR_PROTOCOL_VERSION',
  'ERR_HANDSHAKE_FAILED',
  'ERR_HANDSHAKE_TIMEOUT',
  'ERR_OUTPUT_BUDGET',
]);

export interface LossContext {
  /** What the guard or the mux transport refused, if anything. */
  violation: Error | null;
  streamError: Error | null;
  /** The Noise handshake completed. */
  authenticated: boolean;
  /** The hello arrived. */
  ready: boolean;
  sessionMs: number;
}

export function describeLoss(ctx: LossContext): PeerchatError {
  const err = ctx.violation ?? ctx.streamError;
  if (isPeerchatError(err)) return err;
  if (!ctx.authenticated) {
    return new PeerchatError('ERR_HANDSHAKE_FAILED', `the encrypted handshake failed${suffix(err)}`, {
      cause: err,
    });
  }
  if (err?.message === 'Stream timed out') {
    return new PeerchatError('ERR_IDLE_TIMEOUT', `nothing received for ${ctx.sessionMs} ms`, { cause: err });
  }
  if (!ctx.ready) {
    return new PeerchatError('ERR_HANDSHAKE_FAILED', `the connection closed before the hello${suffix(err)}`, {
      cause: err,
    });
  }
  return new PeerchatError('ERR_DISCONNECTED', `the connection was lost${suffix(err)}`, { cause: err });
}

export function plainHost(host: string | undefined): string {
  if (!host) return '';
  return host.startsWith('::ffff:') ? host.slice(7) : host;
}

function suffix(err: Error | null | undefined): string {
  return err?.message ? `: ${err.message}` : '';
}
