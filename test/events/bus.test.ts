import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventBus } from '../../src/events/bus.ts';
import type { MicroEmoEvent } from '../../src/events/schema.ts';

describe('EventBus', () => {
  it('stamps seq per stream without gaps, even after a rejected event', () => {
    const bus = new EventBus();
    const seen: MicroEmoEvent[] = [];
    bus.on((e) => seen.push(e));
    const a = bus.stream('a', 'room1');
    const b = bus.stream('b', 'room1');
    a.publish('stream.started', { t: 0, source: 'file', video: null, audio: { codec: 'opus', sampleRate: 16000 } });
    b.publish('utterance.start', { t: 0.5, utteranceId: 'u1', continuation: false, trackId: null });
    assert.throws(() =>
      a.publish('utterance.end', { t: 1, utteranceId: '', start: 0, end: 1, continuation: false, trackId: null }),
    );
    a.publish('utterance.start', { t: 1, utteranceId: 'u1', continuation: false, trackId: 2 });
    assert.deepEqual(
      seen.map((e) => [e.streamId, e.seq, e.type]),
      [
        ['a', 0, 'stream.started'],
        ['b', 0, 'utterance.start'],
        ['a', 1, 'utterance.start'],
      ],
    );
    assert.ok(seen.every((e) => e.v === 1 && e.room === 'room1' && typeof e.wall === 'number'));
  });

  it('publishes nothing for a stream after stream.ended, and filters by type', () => {
    const bus = new EventBus();
    const ended: number[] = [];
    bus.onType('stream.ended', (e) => ended.push(e.seq));
    const s = bus.stream('s', 'r', 5);
    assert.equal(s.publish('stream.ended', { t: 3, reason: 'eof' })?.seq, 5);
    assert.equal(
      s.publish('utterance.start', { t: 4, utteranceId: 'u9', continuation: false, trackId: null }),
      undefined,
    );
    assert.deepEqual(ended, [5]);
    assert.equal(s.isEnded, true);
  });
});
