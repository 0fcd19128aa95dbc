/** The package entry: `import … from 'microemo'` resolves (package.json exports ".") and gives what it documents. */
import assert from 'node:assert/strict';
import { test } from 'node:test';

test("'microemo' resolves to analyzeFile, the MEGC scoring and the event schema", async () => {
  const m = await import('microemo');
  assert.equal(typeof m.analyzeFile, 'function');
  const s = m.megcEvaluate(
    [
      { onset: 1.6, offset: 1.84, video: 'a' },
      { onset: 5, offset: 5.2, video: 'a' },
    ],
    [{ onset: 1.6, offset: 1.8, video: 'a' }],
  );
  assert.deepEqual([s.tp, s.fp, s.fn, s.precision, s.recall], [1, 1, 0, 0.5, 1]);
  assert.ok(Math.abs(m.intervalIou({ onset: 1.6, offset: 1.84 }, { onset: 1.6, offset: 1.8 }) - 0.2 / 0.24) < 1e-9);
  assert.equal(
    m.parseEvent({ v: 1, type: 'stream.ended', streamId: 's', room: 'r', seq: 3, t: 2, wall: 0, reason: 'eof' }).seq,
    3,
  );
  assert.ok(m.EVENT_TYPES.includes('microexpression'));
});
