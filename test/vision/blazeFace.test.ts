import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  blazeFaceInputSize,
  type Candidate,
  candidatesToFrame,
  decodeCandidates,
  generateAnchors,
  iou,
  weightedNms,
} from '../../src/vision/blazeFace.ts';
import { letterboxAffine } from '../../src/vision/imageOps.ts';

const box = (x1: number, y1: number, x2: number, y2: number, score: number, kp = 0): Candidate => ({
  x1,
  y1,
  x2,
  y2,
  score,
  keypoints: new Array(12).fill(kp),
});

describe('BlazeFace anchors', () => {
  const a = generateAnchors(256);
  it('has 896 anchors: 16×16×2 at stride 16, then 8×8×6 at stride 32', () => {
    assert.equal(a.length / 2, 896);
    assert.deepEqual(Array.from(a.slice(0, 6)), [8, 8, 8, 8, 24, 8]);
    // last of the stride-16 grid, first of the stride-32 grid
    assert.deepEqual(Array.from(a.slice(2 * 511, 2 * 513)), [248, 248, 16, 16]);
    assert.deepEqual(Array.from(a.slice(-2)), [240, 240]);
  });

  it('fits the input to the frame: long side 256, short side a multiple of 32 holding the letterboxed picture', () => {
    assert.deepEqual(blazeFaceInputSize(640, 480), { width: 256, height: 192 });
    assert.deepEqual(blazeFaceInputSize(700, 700), { width: 256, height: 256 });
    assert.deepEqual(blazeFaceInputSize(1280, 720), { width: 256, height: 160 });
    assert.deepEqual(blazeFaceInputSize(480, 640), { width: 192, height: 256 });
    assert.deepEqual(blazeFaceInputSize(2000, 100), { width: 256, height: 64 });
    // the 640×480 letterbox fills 256×192 exactly: frame corners on input corners
    const m = letterboxAffine(640, 480, 256, 192);
    assert.deepEqual([m.a, m.c, m.f], [2.5, 0, 0]);
  });

  it('a 256×192 input has 16×12×2 anchors at stride 16, then 8×6×6 at stride 32, row by row', () => {
    const r = generateAnchors(256, 192);
    assert.equal(r.length / 2, 16 * 12 * 2 + 8 * 6 * 6);
    // end of the first row of the stride-16 grid, then the second row
    assert.deepEqual(Array.from(r.slice(2 * 30, 2 * 33)), [248, 8, 248, 8, 8, 24]);
    assert.deepEqual(Array.from(r.slice(2 * 383, 2 * 385)), [248, 184, 16, 16]);
    assert.deepEqual(Array.from(r.slice(-2)), [240, 176]);
  });
});

describe('BlazeFace decoding', () => {
  it('adds the anchor to centre and keypoint offsets and applies the sigmoid + threshold', () => {
    const anchors = new Float32Array([8, 8, 100, 50]);
    const scores = new Float32Array([-5, 2]);
    const boxes = new Float32Array(32);
    boxes.set([4, -2, 40, 60, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], 16);
    const c = decodeCandidates(scores, boxes, anchors, 0.5);
    assert.equal(c.length, 1);
    assert.ok(Math.abs(c[0].score - 1 / (1 + Math.exp(-2))) < 1e-6);
    assert.deepEqual([c[0].x1, c[0].y1, c[0].x2, c[0].y2], [84, 18, 124, 78]);
    assert.deepEqual(c[0].keypoints.slice(0, 4), [101, 52, 103, 54]);
  });

  it('maps letterboxed input coordinates back to the frame', () => {
    const [f] = candidatesToFrame([box(0, 32, 256, 224, 0.9, 128)], letterboxAffine(640, 480, 256));
    assert.deepEqual(f.box, { x: 0, y: 0, w: 640, h: 480 });
    assert.deepEqual(f.keypoints[0], [320, 240]);
  });
});

describe('weighted NMS', () => {
  it('computes IoU', () => {
    assert.equal(iou(box(0, 0, 10, 10, 1), box(5, 0, 15, 10, 1)), 50 / 150);
    assert.equal(iou(box(0, 0, 10, 10, 1), box(20, 20, 30, 30, 1)), 0);
  });

  it('merges an overlapping cluster into its score-weighted mean and keeps separate faces apart', () => {
    const out = weightedNms(
      [
        box(0, 0, 10, 10, 0.6, 0),
        box(1, 1, 11, 11, 0.9, 3),
        box(50, 50, 60, 60, 0.7, 5),
        box(0.5, 0, 10.5, 10, 0.3, 1),
      ],
      0.3,
    );
    assert.equal(out.length, 2);
    const w = 0.9 + 0.6 + 0.3;
    assert.equal(out[0].score, 0.9);
    assert.ok(Math.abs(out[0].x1 - (0.9 * 1 + 0.6 * 0 + 0.3 * 0.5) / w) < 1e-9);
    assert.ok(Math.abs(out[0].keypoints[0] - (0.9 * 3 + 0.3 * 1) / w) < 1e-9);
    assert.deepEqual([out[1].x1, out[1].score], [50, 0.7]);
  });

  it('stops at maxOut', () => {
    assert.equal(weightedNms([box(0, 0, 1, 1, 0.9), box(5, 5, 6, 6, 0.8), box(9, 9, 10, 10, 0.7)], 0.3, 2).length, 2);
  });
});
