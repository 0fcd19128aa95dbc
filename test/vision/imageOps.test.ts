import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  applyAffine,
  flipAffine,
  invertAffine,
  letterboxAffine,
  type RgbFrame,
  rectToAffine,
  warpAffine,
} from '../../src/vision/imageOps.ts';

/** W×H frame whose pixel (x, y) is (x + 10·y, 100 + x, 200 + y). */
function pattern(W: number, H: number): RgbFrame {
  const rgb = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) rgb.set([x + 10 * y, 100 + x, 200 + y], (y * W + x) * 3);
  }
  return { width: W, height: H, rgb };
}

describe('affine transforms', () => {
  it('inverts and round-trips points', () => {
    const m = rectToAffine({ cx: 100, cy: 80, size: 50, angle: 0.7 }, 192);
    const inv = invertAffine(m);
    for (const [x, y] of [
      [0, 0],
      [192, 0],
      [96, 96],
      [13.5, 170.25],
    ]) {
      const [fx, fy] = applyAffine(m, x, y);
      const [bx, by] = applyAffine(inv, fx, fy);
      assert.ok(Math.abs(bx - x) < 1e-9 && Math.abs(by - y) < 1e-9);
    }
  });

  it('maps the crop centre to the rect centre and its x axis along the angle', () => {
    const m = rectToAffine({ cx: 50, cy: 40, size: 20, angle: Math.PI / 2 }, 10);
    assert.deepEqual(
      applyAffine(m, 5, 5).map((v) => Math.round(v * 1e9) / 1e9),
      [50, 40],
    );
    // one crop pixel to the right = 2 frame pixels down when rotated by 90°
    const [x, y] = applyAffine(m, 6, 5);
    assert.ok(Math.abs(x - 50) < 1e-9 && Math.abs(y - 42) < 1e-9);
  });

  it('letterboxes a landscape frame into the middle rows of the square', () => {
    const m = letterboxAffine(640, 480, 256);
    assert.deepEqual(applyAffine(m, 0, 32), [0, 0]);
    assert.deepEqual(applyAffine(m, 256, 224), [640, 480]);
  });
});

describe('warpAffine', () => {
  const src = pattern(8, 6);

  it('copies pixels exactly through the identity', () => {
    const out = warpAffine(src, { a: 1, b: 0, c: 0, d: 0, e: 1, f: 0 }, 8, 6);
    assert.deepEqual(Array.from(out), Array.from(src.rgb));
  });

  it('rotates by 90°: crop pixel (u, v) reads frame pixel (3 − v, u) of a 4×4 square', () => {
    const m = rectToAffine({ cx: 2, cy: 2, size: 4, angle: Math.PI / 2 }, 4);
    const out = warpAffine(src, m, 4, 4);
    for (let v = 0; v < 4; v++) {
      for (let u = 0; u < 4; u++) {
        const x = 3 - v;
        const y = u;
        const o = (v * 4 + u) * 3;
        assert.ok(Math.abs(out[o] - (x + 10 * y)) < 1e-4, `(${u},${v}) → ${out[o]}, want ${x + 10 * y}`);
        assert.ok(Math.abs(out[o + 1] - (100 + x)) < 1e-4);
        assert.ok(Math.abs(out[o + 2] - (200 + y)) < 1e-4);
      }
    }
  });

  it('interpolates bilinearly between pixel centres', () => {
    // a 1×1 crop whose centre falls on the corner shared by pixels (2,2), (3,2), (2,3), (3,3)
    const out = warpAffine(src, { a: 1, b: 0, c: 2.5, d: 0, e: 1, f: 2.5 }, 1, 1);
    assert.ok(Math.abs(out[0] - (2.5 + 25)) < 1e-4);
    assert.ok(Math.abs(out[1] - 102.5) < 1e-4);
    assert.ok(Math.abs(out[2] - 202.5) < 1e-4);
  });

  it('scales, offsets, converts to grey, mirrors and pads with the border value', () => {
    const id = { a: 1, b: 0, c: 0, d: 0, e: 1, f: 0 };
    const norm = warpAffine(src, id, 8, 6, { scale: 1 / 127.5, offset: -1 });
    assert.ok(Math.abs(norm[3 * 9 + 1] - (101 / 127.5 - 1)) < 1e-6);
    const grey = warpAffine(src, id, 8, 6, { grey: [0.5, 0.25, 0.25] });
    assert.equal(grey.length, 48);
    assert.ok(Math.abs(grey[9] - (0.5 * 11 + 0.25 * 101 + 0.25 * 201)) < 1e-4);
    const flipped = warpAffine(src, id, 8, 6, { flip: true });
    assert.equal(flipped[0], src.rgb[7 * 3]);
    const shifted = warpAffine(src, { ...id, c: -20 }, 4, 4, { border: 7, scale: 2 });
    assert.ok(shifted.every((v) => v === 14));
  });

  it('flipAffine mirrors the output horizontally', () => {
    const m = rectToAffine({ cx: 10, cy: 10, size: 8, angle: 0.3 }, 8);
    const f = flipAffine(m, 8);
    const [ax, ay] = applyAffine(m, 8 - 1.25, 3);
    const [bx, by] = applyAffine(f, 1.25, 3);
    assert.ok(Math.abs(ax - bx) < 1e-9 && Math.abs(ay - by) < 1e-9);
  });
});
