import t from 'tap';
import {
  checkHooks,
  describe,
  nameOf,
  transformProblem,
  validatePlugin,
} from '../../src/plugins/validate.js';

t.test('validatePlugin says what is wrong', async (t) => {
  t.match(validatePlugin(42), /default export is number 42/);
  t.equal(validatePlugin({ setup() {} }), 'the plugin has no name');
  t.match(validatePlugin({ name: 'x' }), /no setup function/);
  t.match(validatePlugin({ name: 'x', setup() {}, order: 'first' }), /order "first"/);
  t.match(validatePlugin({ name: 'x', setup() {}, options: {} }), /not a zod schema/);
  t.type(validatePlugin({ name: 'x', setup() {} }), 'object');
});

t.test('checkHooks: unknown hooks get a suggestion; non-functions refused', async (t) => {
  t.same(checkHooks('x', 'x', undefined), {});
  t.throws(() => checkHooks('x', 'x', { onMesage() {} }), {
    code: 'ERR_PLUGIN_UNKNOWN_HOOK',
    message: /did you mean "onMessage"/,
  });
  t.throws(() => checkHooks('x', 'spec', { onStart: 1 }), {
    code: 'ERR_PLUGIN_LOAD',
    message: /"x" \(spec\)/,
  });
  t.throws(() => checkHooks('x', 'x', 'no'), { code: 'ERR_PLUGIN_LOAD' });
});

t.test('nameOf and describe', async (t) => {
  t.equal(nameOf({ name: 'n' }), 'n');
  t.equal(
    nameOf(function named() {}),
    'named',
  );
  t.equal(nameOf(null), '<inline plugin>');
  t.equal(describe([]), 'an array');
  t.equal(describe(null), 'null');
  t.equal(describe('s'), 'string "s"');
});

t.test('transformProblem: what a transform may return', async (t) => {
  t.equal(transformProblem('transformOutgoing', null), null, 'null drops');
  t.equal(transformProblem('transformOutgoing', { text: 'hi' }), null);
  t.equal(transformProblem('transformOutgoing', { text: '' }), 'a message with an empty text');
  t.equal(transformProblem('transformIncoming', { text: '' }), null, 'an incoming text may be empty');
  t.equal(transformProblem('transformIncoming', 'hi'), 'string "hi"');
  t.equal(transformProblem('transformIncoming', [1]), 'an array');
});
