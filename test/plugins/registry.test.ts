import t from 'tap';
import { newStaged, PEER_API_MEMBERS, Registry } from '../../src/plugins/registry.js';

function registry(disabled = new Set<string>()) {
  const warnings: string[] = [];
  const r = new Registry({
    reservedCommands: ['help'],
    isDisabled: (p) => disabled.has(p),
    warn: (e) => warnings.push(`${e.code}: ${e.message}`),
  });
  return { r, warnings };
}

t.test('staged commands and helpers appear only on commit', async (t) => {
  const { r } = registry();
  const s = newStaged();
  r.stageCommand('a', 'a', s, 'hi', { help: 'h', action: (x: string) => `hi ${x}` });
  r.stageHelper('a', 'a', s, 'greet', () => 'g');
  t.equal(r.commands.size, 0);
  r.commit('a', s);
  t.equal(await r.commands.get('hi')!.action('you'), 'hi you');
  t.equal(r.helpers.greet!(), 'g');
  r.removeCommandsOf('a');
  t.equal(r.commands.size, 0);
});

t.test('clashes and bad names are coded', async (t) => {
  const { r } = registry();
  const s = newStaged();
  t.throws(() => r.stageCommand('a', 'a', s, 'help', { help: 'h', action: () => 1 }), {
    code: 'ERR_PLUGIN_COMMAND_CLASH',
    message: /built-in command/,
  });
  t.equal(s.clash?.code, 'ERR_PLUGIN_COMMAND_CLASH');
  t.throws(() => r.stageCommand('a', 'a', newStaged(), '.x', { help: 'h', action: () => 1 }), {
    code: 'ERR_USAGE',
  });
  t.throws(() => r.stageHelper('a', 'a', newStaged(), 'send', () => 1), {
    code: 'ERR_PLUGIN_COMMAND_CLASH',
    message: /peer\.send of the peer itself/,
  });
  const closed = newStaged();
  closed.open = false;
  t.throws(() => r.stageHelper('a', 'a', closed, 'ok', () => 1), { message: /only during setup/ });
  t.ok(PEER_API_MEMBERS.includes('history'));
});

t.test("a disabled plugin's command warns, its helper throws", async (t) => {
  const disabled = new Set<string>();
  const { r, warnings } = registry(disabled);
  const s = newStaged();
  r.stageCommand('a', 'a', s, 'boom', {
    help: 'h',
    action: () => {
      throw new Error('bad');
    },
  });
  r.stageHelper('a', 'a', s, 'h1', () => 1);
  r.commit('a', s);
  t.equal(await r.commands.get('boom')!.action(''), undefined);
  t.match(warnings[0], /ERR_PLUGIN_HOOK: plugin "a" command ".boom" failed: bad/);
  disabled.add('a');
  t.equal(await r.commands.get('boom')!.action(''), undefined);
  t.match(warnings[1], /ERR_PLUGIN_DISABLED/);
  t.throws(() => r.helpers.h1!(), { code: 'ERR_PLUGIN_DISABLED' });
});
