import t from 'tap';
import { checkRoomName, roomTopic } from '../../src/rooms/topic.js';

t.test('a topic is 32 bytes and deterministic', async (t) => {
  const a = roomTopic('lobby');
  t.equal(a.length, 32);
  t.same(roomTopic('lobby'), a, 'same name, same topic');
  t.same(roomTopic('lobby', 's3cret'), roomTopic('lobby', 's3cret'), 'same name and secret, same topic');
});

t.test('different names, secrets and kinds give different topics', async (t) => {
  const topics = [
    roomTopic('lobby'),
    roomTopic('Lobby'),
    roomTopic('lobby2'),
    roomTopic('lobby', 's3cret'),
    roomTopic('lobby', 's3cret2'),
    roomTopic('lobby2', 's3cret'),
    roomTopic('open'),
    roomTopic('secret'),
  ].map((b) => b.toString('hex'));
  t.equal(new Set(topics).size, topics.length, 'all distinct');
});

t.test('a secret room topic is not derivable from the name alone', async (t) => {
  const secretTopic = roomTopic('team', 'correct horse battery staple').toString('hex');
  // what someone who knows only the name can compute
  const guesses = [roomTopic('team'), roomTopic('team', ''.padEnd(1, ' ')), roomTopic('team', 'team')];
  for (const g of guesses) t.not(g.toString('hex'), secretTopic);
});

t.test('names are NFC-normalised', async (t) => {
  t.same(roomTopic('caf\u00e9'), roomTopic('cafe\u0301'));
});

t.test('bad names and secrets are refused with ERR_INVALID_ROOM', async (t) => {
  for (const bad of ['', '   ', ' lobby', 'lobby ', 'a\nb', 'x'.repeat(257), 42, null]) {
    t.throws(
      () => checkRoomName(bad),
      { name: 'PeerchatError', code: 'ERR_INVALID_ROOM' },
      JSON.stringify(bad),
    );
  }
  t.throws(() => roomTopic('lobby', ''), { name: 'PeerchatError', code: 'ERR_INVALID_ROOM' });
  t.equal(checkRoomName('a room with spaces'), 'a room with spaces');
});
