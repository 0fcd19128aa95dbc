import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EVENT_TYPES, EventValidationError, parseEvent } from '../../src/events/schema.ts';

const env = { v: 1, streamId: 's1', room: 'r1', seq: 0, t: 1.5, wall: 1_700_000_000_000 } as const;
const probs7 = { neutral: 0.4, happy: 0.3, sad: 0.1, angry: 0.05, fearful: 0.05, disgusted: 0.05, surprised: 0.05 };

describe('event schema v1', () => {
  it('lists every event type once', () => {
    assert.deepEqual([...EVENT_TYPES].sort(), [
      'emotion',
      'face.frame',
      'microexpression',
      'stream.ended',
      'stream.health',
      'stream.started',
      'utterance.end',
      'utterance.start',
    ]);
  });

  it('accepts a valid emotion event and fills defaults of utterance events', () => {
    const e = parseEvent({
      ...env,
      type: 'emotion',
      utteranceId: 'u1',
      start: 1,
      end: 2.5,
      final: true,
      trackId: 0,
      label: 'contempt',
      probs: { ...probs7, contempt: 0 },
      valence: -0.2,
      arousal: 0.1,
      confidence: 0.6,
      descriptors: [{ word: 'scornful', score: 0.7 }],
      cues: { visual: ['AU12 left only at 1.2 s'], acoustic: [] },
      explanation: 'x',
      context: { label: 'neutral', probs: { ...probs7, contempt: 0 }, valence: 0, arousal: 0 },
    });
    assert.equal(e.type, 'emotion');
    const u = parseEvent({ ...env, type: 'utterance.start', utteranceId: 'u1' });
    assert.equal(u.type === 'utterance.start' && u.continuation, false);
    assert.equal(u.type === 'utterance.start' && u.trackId, null);
  });

  it('rejects bad values with the field named', () => {
    assert.throws(
      () => parseEvent({ ...env, type: 'utterance.end', utteranceId: 'u1', start: -1, end: 2 }),
      (err: unknown) => err instanceof EventValidationError && /start/.test(err.message),
    );
    assert.throws(() => parseEvent({ ...env, type: 'nope' }), EventValidationError);
    assert.throws(
      () => parseEvent({ ...env, v: 2, type: 'stream.ended', reason: 'eof' }),
      (err: unknown) => err instanceof EventValidationError && /v/.test(err.message),
    );
    assert.throws(
      () => parseEvent({ ...env, type: 'stream.ended', reason: 'because' }),
      (err: unknown) => err instanceof EventValidationError && /reason/.test(err.message),
    );
  });
});
