import t from 'tap';
import { codes, PeerchatError, toFailure } from '../src/errors.js';

t.test(
  'toFailure: a coded error keeps its code, anything else is ERR_INTERNAL or the fallback',
  async (t) => {
    t.same(toFailure(new PeerchatError('ERR_ACK_TIMEOUT', 'late')), {
      code: 'ERR_ACK_TIMEOUT',
      message: 'late',
    });
    t.same(toFailure(new TypeError('x is undefined')), { code: 'ERR_INTERNAL', message: 'x is undefined' });
    t.same(toFailure('plain', 'ERR_PEER_UNREACHABLE'), { code: 'ERR_PEER_UNREACHABLE', message: 'plain' });
    t.ok(codes.ERR_PLUGIN_DROPPED);
  },
);
