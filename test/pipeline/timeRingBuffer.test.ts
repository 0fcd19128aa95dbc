import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TimeRingBuffer } from '../../src/pipeline/timeRingBuffer.ts';

type Rec = { t: number; payload: Float32Array };
const make = (t: number, n = 4): Rec => ({ t, payload: new Float32Array(n) });
const buf = (maxSeconds: number, capacity: number, maxBytes = 1e9) =>
  new TimeRingBuffer<Rec>({ maxSeconds, capacity, maxBytes, byteSize: (r) => r.payload.byteLength });

describe('TimeRingBuffer', () => {
  it('keeps only the last maxSeconds of records', () => {
    const b = buf(2, 1000);
    for (let i = 0; i <= 150; i++) b.push(make(i / 30));
    const span = b.span()!;
    assert.equal(span.end, 5);
    assert.ok(span.end - span.start <= 2 + 1e-9);
    assert.equal(b.length, 61); // t = 3.0 … 5.0 at 30 fps
  });

  it('never holds more than its capacity, overwriting the oldest', () => {
    const b = buf(1000, 10);
    for (let i = 0; i < 25; i++) b.push(make(i));
    assert.equal(b.length, 10);
    assert.equal(b.at(0)!.t, 15);
    assert.equal(b.last()!.t, 24);
  });

  it('bounds bytes', () => {
    const b = buf(1000, 100, 16 * 10);
    for (let i = 0; i < 50; i++) b.push(make(i)); // 16 bytes each
    assert.equal(b.byteLength, 160);
    assert.equal(b.length, 10);
  });

  it('answers media-time range queries inclusively', () => {
    const b = buf(60, 2000);
    for (let i = 0; i < 300; i++) b.push(make(i * 0.04));
    const r = b.range(1.0, 1.2);
    assert.deepEqual(
      r.map((x) => Math.round(x.t * 100)),
      [100, 104, 108, 112, 116, 120],
    );
    assert.equal(b.range(100, 200).length, 0);
    assert.equal(b.lowerBound(-1), 0);
  });

  it('rejects time going backwards and bad options', () => {
    const b = buf(10, 10);
    b.push(make(2));
    assert.throws(() => b.push(make(1)), /before the newest/);
    assert.throws(() => buf(0, 10), RangeError);
  });
});
