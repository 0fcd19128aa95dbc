import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RgbFrame } from '../../src/vision/imageOps.ts';
import { SceneMotion } from '../../src/vision/sceneMotion.ts';

function frame(w: number, h: number, paint: (x: number, y: number) => number): RgbFrame {
  const rgb = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) rgb.fill(paint(x, y), (y * w + x) * 3, (y * w + x) * 3 + 3);
  return { width: w, height: h, rgb };
}

describe('SceneMotion', () => {
  it('is 0 for a still scene and for the first frame', () => {
    const m = new SceneMotion();
    const f = frame(320, 240, (x) => x % 256);
    assert.deepEqual(m.update(f), { scene: 0, region: 0 });
    assert.deepEqual(m.update(f), { scene: 0, region: 0 });
  });

  it('measures the changed fraction of the frame and localises it to a region', () => {
    const m = new SceneMotion();
    m.update(frame(320, 240, () => 0));
    // the left half turns white: scene energy 0.5, all of it inside the left-half region, none in the right half
    const e = m.update(
      frame(320, 240, (x) => (x < 160 ? 255 : 0)),
      { x: 0, y: 0, w: 160, h: 240 },
    );
    assert.ok(Math.abs(e.scene - 0.5) < 1e-6, `scene ${e.scene}`);
    assert.ok(Math.abs(e.region - 1) < 1e-6, `region ${e.region}`);
    const m2 = new SceneMotion();
    m2.update(frame(320, 240, () => 0));
    const r = m2.update(
      frame(320, 240, (x) => (x < 160 ? 255 : 0)),
      { x: 160, y: 0, w: 160, h: 240 },
    );
    assert.equal(r.region, 0);
  });

  it('restarts after a resolution change instead of comparing different grids', () => {
    const m = new SceneMotion();
    m.update(frame(320, 240, () => 0));
    assert.equal(m.update(frame(640, 360, () => 255)).scene, 0);
  });
});
