import type { CommandModule } from 'yargs';
import type { Warning } from '../../errors.js';
import { PeerchatError } from '../../errors.js';
import type { GlobalArgs } from '../context.js';
import { loadForCommand, printResult } from '../context.js';

const KEY_RE = /^[0-9a-f]{64}$/i;
const DIR_MODE = 0o700; // the data directory also holds the secret key

interface TrustArgs extends GlobalArgs {
  address?: string;
  key?: string;
  list: boolean;
}

export const trustCommand: CommandModule<GlobalArgs, TrustArgs> = {
  command: 'trust [address] [key]',
  describe: 'Accept a (changed) key for a peer address in known_hosts, or list the pinned keys',
  builder: (y) =>
    y
      .positional('address', { type: 'string', describe: '"ip:port" of the peer' })
      .positional('key', { type: 'string', describe: 'The peer’s hex public key (64 hex digits)' })
      .option('list', { type: 'boolean', default: false, describe: 'List the pinned keys instead' })
      .example('$0 trust 192.168.1.20:5000 <key>', 'Accept the key named in a key-mismatch warning')
      .epilogue(
        'A running peer keeps the pins it loaded at start: accept the key there too with ' +
          'peer.trust(address, key), or restart it.\n--list --json: one NDJSON line per pin, ' +
          '{"type":"known-host","address","key","fingerprint"}.',
      ),
  handler: async (argv) => {
    const { io } = argv.ctx;
    if (argv.list) {
      if (argv.address !== undefined) throw new PeerchatError('ERR_USAGE', '--list takes no address or key');
      const { config } = await loadForCommand(argv, false);
      await list(argv, config.dataDir);
      return;
    }
    if (argv.address === undefined || argv.key === undefined) {
      throw new PeerchatError(
        'ERR_USAGE',
        'trust needs an address and a key: peerchat trust <ip:port> <hex key> (see peerchat trust --help)',
      );
    }
    const { parseAddress, formatAddress } = await import('../../net/address.js');
    const parsed = parseAddress(String(argv.address).trim());
    if (!parsed) {
      throw new PeerchatError(
        'ERR_USAGE',
        `not a valid "ip:port" address: ${JSON.stringify(String(argv.address))} (e.g. 192.168.1.20:5000)`,
      );
    }
    // the peer pins addresses in this form, so the same peer always maps to one line
    const address = formatAddress(parsed.host, parsed.port);
    const key = String(argv.key).trim().toLowerCase();
    if (!KEY_RE.test(key)) {
      throw new PeerchatError(
        'ERR_USAGE',
        `not a public key: ${JSON.stringify(String(argv.key))} (expected 64 hex digits, as printed by peerchat id)`,
      );
    }
    const { config } = await loadForCommand(argv, false);
    const { mkdir } = await import('node:fs/promises');
    const { KnownHosts } = await import('../../net/native/known-hosts.js');
    const { fingerprint } = await import('../../net/native/identity.js');
    try {
      await mkdir(config.dataDir, { recursive: true, mode: DIR_MODE });
    } catch (err) {
      throw new PeerchatError('ERR_IDENTITY', `cannot create ${config.dataDir}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    const warnings: Warning[] = [];
    const hosts = KnownHosts.open(config.dataDir, (w) => warnings.push(w));
    const previous = hosts.get(address);
    hosts.trust(address, key);
    // KnownHosts reports write problems as warnings: read the file back to be sure the pin landed
    if (KnownHosts.open(config.dataDir).get(address) !== key) {
      const why = warnings.map((w) => w.message).join('; ') || 'the file did not change';
      throw new PeerchatError('ERR_IDENTITY', `cannot save the key for ${address} in ${hosts.path}: ${why}`);
    }
    for (const w of warnings) io.stderr.write(`peerchat: warning: ${w.message} (${w.code})\n`);
    const fp = fingerprint(key);
    const was =
      previous === null
        ? ''
        : previous === key
          ? ' (already trusted)'
          : ` (replaces ${fingerprint(previous)})`;
    printResult(
      argv,
      { address, key, fingerprint: fp, previous, file: hosts.path },
      `trusted ${fp} for ${address}${was}`,
    );
  },
};

async function list(argv: TrustArgs, dataDir: string): Promise<void> {
  const { io } = argv.ctx;
  const { KnownHosts } = await import('../../net/native/known-hosts.js');
  const { fingerprint } = await import('../../net/native/identity.js');
  const hosts = KnownHosts.open(dataDir, (w) =>
    io.stderr.write(`peerchat: warning: ${w.message} (${w.code})\n`),
  );
  const rows = hosts.entries().map((e) => ({ ...e, fingerprint: fingerprint(e.key) }));
  if (argv.json) {
    io.stdout.write(rows.map((r) => `${JSON.stringify({ type: 'known-host', ...r })}\n`).join(''));
  } else if (rows.length === 0) {
    io.stderr.write(`peerchat: no keys pinned yet (${hosts.path})\n`);
  } else {
    const width = Math.max(...rows.map((r) => r.address.length));
    io.stdout.write(rows.map((r) => `${r.address.padEnd(width)}  ${r.fingerprint}  ${r.key}\n`).join(''));
  }
}
