import fc from 'fast-check';
import t from 'tap';
import {
  addressProblem,
  formatAddress,
  normalizeHost,
  parseAddress,
  parsePort,
  toAddress,
} from '../../src/net/address.js';

t.test('ports are 1..65535 in decimal digits', async (t) => {
  t.equal(parsePort('5000'), 5000);
  t.equal(parsePort('65535'), 65535);
  for (const bad of ['0', '65536', '-1', '+5', '5e3', ' 5', '0x10', '', '123456'])
    t.equal(parsePort(bad), null, bad);
});

t.test('addresses: IPv4, IPv6 with or without brackets, IPv4-mapped folded', async (t) => {
  t.same(parseAddress('127.0.0.1:5000'), { host: '127.0.0.1', port: 5000 });
  t.same(parseAddress('[::1]:5000'), { host: '::1', port: 5000 });
  t.same(parseAddress('::1:5000'), { host: '::1', port: 5000 });
  t.same(parseAddress('::ffff:127.0.0.1:5000'), { host: '127.0.0.1', port: 5000 });
  for (const bad of [
    'localhost:5000',
    '127.0.0.1',
    '127.0.0.1:',
    ':5000',
    '300.1.1.1:5',
    '127.0.0.1:0',
    'x',
  ]) {
    t.equal(parseAddress(bad), null, bad);
  }
  t.equal(normalizeHost('::ffff:127.0.0.1'), '127.0.0.1');
  // every spelling of one address is one host: a PEERLIST entry cannot hide this peer from isSelf
  t.equal(normalizeHost('::ffff:7f00:1'), '127.0.0.1');
  t.equal(normalizeHost('0:0:0:0:0:ffff:7f00:0001'), '127.0.0.1');
  t.equal(normalizeHost('::FFFF:127.0.0.1'), '127.0.0.1');
  t.equal(normalizeHost('0:0:0:0:0:0:0:1'), '::1');
  t.equal(normalizeHost('FE80:0::1'), 'fe80::1');
  t.match(parseAddress('[::ffff:7f00:1]:5000'), { host: '127.0.0.1', port: 5000 });
  t.equal(formatAddress('::1', 5), '[::1]:5');
  t.equal(formatAddress('127.0.0.1', 5), '127.0.0.1:5');
  t.throws(() => toAddress('nope'), { code: 'ERR_INVALID_ADDRESS' });
});

t.test('property: parse never throws, and formatted addresses parse back', async (t) => {
  fc.assert(
    fc.property(fc.string(), (s) => parseAddress(s) === null || typeof parseAddress(s)?.port === 'number'),
  );
  fc.assert(
    fc.property(fc.ipV4(), fc.integer({ min: 1, max: 65535 }), (ip, port) => {
      const a = parseAddress(formatAddress(ip, port));
      return a !== null && a.host === ip && a.port === port;
    }),
  );
  t.pass('1000 random strings and addresses');
});

t.test('addressProblem: what is wrong with a target written as an address; null for names', async (t) => {
  t.equal(addressProblem('127.0.0.1:5000'), null);
  t.equal(addressProblem('::1:5000'), null, 'an IPv6 address with its port');
  t.equal(addressProblem('bob'), null);
  t.equal(addressProblem('bob:2'), null, 'a name may hold a colon: only an IP before it is an address');
  t.equal(addressProblem('127.0.0.1'), '"127.0.0.1" has no port: give "ip:port", e.g. 127.0.0.1:5000');
  t.equal(addressProblem('[::1]'), '"[::1]" has no port: give "ip:port", e.g. [::1]:5000');
  for (const port of ['70000', '-1', 'abc', '0', ''])
    t.equal(
      addressProblem(`127.0.0.1:${port}`),
      `"127.0.0.1:${port}": the port must be a number from 1 to 65535`,
    );
  t.equal(addressProblem('999.1.1.1'), '"999.1.1.1" is not a valid IPv4 address');
  t.equal(addressProblem('256.1.1.1:5000'), '"256.1.1.1:5000": 256.1.1.1 is not a valid IPv4 address');
});
