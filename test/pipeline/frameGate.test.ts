import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FrameGate } from '../../src/pipeline/frameGate.ts';

describe('FrameGate', () => {
  it('takes every frame with the global branch when analysis is cheap', () => {
    const g = new FrameGate();
    for (let i = 0; i < 60; i++) {
      const d = g.decide(i / 30, 0);
      assert.deepEqual(d, { take: true, global: true, level: 0 });
      g.report(0.005);
    }
    assert.equal(g.dropped, 0);
  });

  it('degrades the global branch before dropping frames', () => {
    const g = new FrameGate();
    for (let i = 0; i < 60; i++) {
      g.decide(i / 30, 0);
      g.report(0.025); // 75 % of a 33 ms frame interval
    }
    assert.equal(g.degradation, 1);
    const globals = Array.from({ length: 30 }, (_, i) => g.decide((60 + i) / 30, 0)).filter((d) => d.global).length;
    assert.equal(globals, 10, 'global branch on every 3rd frame');
    for (let i = 0; i < 60; i++) g.report(0.04);
    assert.equal(g.degradation, 2);
    assert.equal(g.decide(4, 1).global, false);
    assert.equal(g.dropped, 0, 'no frame dropped while the worker keeps up');
  });

  it('drops whole frames when too many are in flight and counts them', () => {
    const g = new FrameGate({ maxInflight: 2, window: 10 });
    assert.equal(g.decide(0, 2).take, false);
    assert.equal(g.decide(1 / 30, 1).take, true);
    assert.equal(g.dropped, 1);
    assert.equal(g.taken, 1);
  });
});
