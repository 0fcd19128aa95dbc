import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEGRADED_FACE_FRAME_HZ, FrameGate } from '../../src/pipeline/frameGate.ts';

describe('FrameGate', () => {
  it('takes every frame with the global branch when analysis is cheap', () => {
    const g = new FrameGate();
    for (let i = 0; i < 60; i++) {
      const d = g.decide(i / 30, 0);
      assert.deepEqual(d, { take: true, global: true, level: 0, halfExpression: false });
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
    assert.equal(g.faceFrameHz(10), DEGRADED_FACE_FRAME_HZ, 'face.frame slows down at level 2');
    assert.equal(DEGRADED_FACE_FRAME_HZ, 5);
    assert.equal(g.faceFrameHz(3), 3, 'a configured rate below the degraded one is kept');
    assert.equal(g.dropped, 0, 'no frame dropped while the worker keeps up');
  });

  it('keeps the configured face.frame rate below level 2', () => {
    const g = new FrameGate();
    for (let i = 0; i < 60; i++) {
      g.decide(i / 30, 0);
      g.report(0.025);
    }
    assert.equal(g.degradation, 1);
    assert.equal(g.faceFrameHz(10), 10);
  });

  it('is not moved by one slow frame, but counts periodic detector frames', () => {
    const g = new FrameGate();
    for (let i = 0; i < 30; i++) {
      g.decide(i / 30, 0);
      g.report(0.01);
    }
    // one 400 ms stall (GC, a new face's descriptor, a lost time slice): the plain mean would be 23 ms, load 0.7+
    g.decide(1, 0);
    g.report(0.4);
    assert.equal(g.degradation, 0);
    assert.ok(g.estimate() < 0.012, `estimate ${g.estimate()}`);
    // a slow first frame (detector + descriptor) does not start the stream degraded
    const s = new FrameGate();
    s.decide(0, 0);
    s.report(0.2);
    for (let i = 1; i < 12; i++) {
      s.decide(i / 30, 0);
      s.report(0.01);
      assert.equal(s.degradation, 0, `frame ${i}`);
    }
    // every 10th frame 2.5× as costly (the detector): counted in full (22 ms alone would be load 0.66, level 0)
    const h = new FrameGate();
    for (let i = 0; i < 60; i++) {
      h.decide(i / 30, 0);
      h.report(i % 10 === 0 ? 0.055 : 0.022);
    }
    assert.ok(Math.abs(h.estimate() - 0.0253) < 1e-6, `estimate ${h.estimate()}`);
    assert.equal(h.degradation, 1);
  });

  it('degrades a cheap stream whose worker is nearly full with other streams, and recovers when it empties', () => {
    const g = new FrameGate();
    for (let i = 0; i < 30; i++) {
      g.decide(i / 30, 0);
      g.report(0.01, 0.8); // 30 % of the interval on its own, the shared worker 80 % busy
    }
    assert.equal(g.degradation, 1, 'global branch thinned first');
    for (let i = 30; i < 60; i++) {
      g.decide(i / 30, 0);
      g.report(0.01, 0.97);
    }
    assert.equal(g.degradation, 2);
    assert.equal(g.decide(2, 0).global, false);
    for (let i = 61; i < 90; i++) {
      g.decide(i / 30, 0);
      g.report(0.01, 0.4);
    }
    assert.equal(g.degradation, 0);
    assert.equal(g.dropped, 0);
  });

  it('drops whole frames when too many are in flight and counts them', () => {
    const g = new FrameGate({ maxInflight: 2, startupInflight: 2, window: 10 });
    assert.equal(g.decide(0, 2).take, false);
    assert.equal(g.decide(1 / 30, 1).take, true);
    assert.equal(g.dropped, 1);
    assert.equal(g.taken, 1);
  });

  it("lets a stream's first frames queue deeper (startupInflight) until 10 of them are analysed", () => {
    const g = new FrameGate({ maxInflight: 2, startupInflight: 6, window: 30 });
    // the first frame is slow: 5 more arrive while it is analysed, all taken; the 7th would make 7 in flight
    for (let i = 0; i < 6; i++) assert.equal(g.decide(i / 30, i).take, true, `frame ${i}`);
    assert.equal(g.decide(6 / 30, 6).take, false);
    for (let i = 0; i < 9; i++) g.report(0.01);
    assert.equal(g.decide(7 / 30, 5).take, true, '9 analysed: still the startup limit');
    g.report(0.01);
    assert.equal(g.decide(8 / 30, 2).take, false, '10 analysed: back to maxInflight');
    assert.equal(g.decide(9 / 30, 1).take, true);
    assert.deepEqual([g.taken, g.dropped], [8, 2]);
  });

  it('halves the expression nets only once the global branch is off and frames queue, and restores them first', () => {
    const g = new FrameGate();
    // 75 % load (level 1), every other frame arriving with the previous one still in flight: the global branch goes
    // first, the face branch keeps both nets
    for (let i = 0; i < 60; i++) {
      assert.equal(g.decide(i / 30, i % 2).halfExpression, false, `frame ${i}`);
      g.report(0.025);
    }
    assert.equal(g.degradation, 1);
    // 120 % load: global off (level 2), then half runs, since 50 % of the frames queue behind their predecessor
    let firstHalf = -1;
    let firstOff = -1;
    for (let i = 60; i < 120; i++) {
      const d = g.decide(i / 30, i % 2);
      if (d.halfExpression && firstHalf < 0) firstHalf = i;
      if (d.halfExpression) assert.equal(d.global, false, 'never half with the global branch on');
      g.report(0.04);
      if ((g.degradation as number) === 2 && firstOff < 0) firstOff = i + 1;
    }
    assert.equal(g.degradation, 2);
    assert.equal(g.halfExpression, true);
    // the window's mean cost passes 95 % of the interval after ~12 frames of 40 ms
    assert.ok(firstOff > 65 && firstOff < 80, `global branch off from frame ${firstOff}`);
    assert.equal(firstHalf, firstOff, 'half runs from the frame the global branch stops');
    // 55 % load, still 1 frame in 5 queued: stays half
    for (let i = 120; i < 180; i++) {
      g.decide(i / 30, i % 5 === 0 ? 1 : 0);
      g.report(0.018);
    }
    assert.equal(g.halfExpression, true, 'queued frames keep it');
    // the queue empties and the load falls: both nets come back after a calm window (30 reports), while the
    // global branch is still off
    const back: number[] = [];
    for (let i = 180; i < 240; i++) {
      const d = g.decide(i / 30, 0);
      g.report(0.018);
      if (!g.halfExpression && back.length === 0) back.push(i);
      if (!d.halfExpression) assert.equal(d.global, false, `frame ${i}: nets return before the global branch`);
      if (back.length) break;
    }
    assert.ok(back[0] >= 180 + 30 && back[0] < 180 + 30 + 31, `both nets back at frame ${back[0]}`);
    assert.equal(g.degradation, 2);
    for (let i = 240; i < 300; i++) {
      g.decide(i / 30, 0);
      g.report(0.01);
    }
    assert.deepEqual([g.degradation, g.halfExpression], [0, false]);
    assert.equal(g.dropped, 0);
  });

  it('a dropped frame turns the global branch off and halves the expression nets at once', () => {
    const g = new FrameGate({ maxInflight: 2, startupInflight: 2, window: 30 });
    for (let i = 0; i < 30; i++) {
      g.decide(i / 30, 0);
      g.report(0.01);
    }
    assert.deepEqual([g.degradation, g.halfExpression], [0, false]);
    assert.deepEqual(g.decide(1, 2), { take: false, global: false, level: 3, halfExpression: false });
    g.report(0.01);
    const d = g.decide(31 / 30, 0);
    assert.deepEqual(d, { take: true, global: false, level: 2, halfExpression: true });
  });
});
