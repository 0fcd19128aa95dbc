import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { boxOnElement, fit } from '../../client/web/common/geometry.ts';

describe('web client geometry: analysis-frame boxes onto a displayed video', () => {
  it('fits and centres like ffmpeg’s decrease+pad and CSS object-fit: contain', () => {
    assert.deepEqual(fit({ width: 1280, height: 720 }, { width: 640, height: 480 }), { scale: 0.5, dx: 0, dy: 60 });
    assert.deepEqual(fit({ width: 480, height: 640 }, { width: 640, height: 480 }), { scale: 0.75, dx: 140, dy: 0 });
  });

  it('a 4:3 video shown at another size scales the box only', () => {
    const r = boxOnElement(
      { x: 160, y: 120, w: 320, h: 240 },
      { width: 640, height: 480 },
      { width: 640, height: 480 },
      {
        width: 320,
        height: 240,
      },
    );
    assert.deepEqual(r, { x: 80, y: 60, w: 160, h: 120 });
  });

  it('a 16:9 video: the letterbox of the analysis frame comes off, the element’s own bars go on', () => {
    // 1280×720 in 640×480: scale 0.5, 60 px bars top and bottom. The face is the centre quarter of the picture.
    const box = { x: 160, y: 60 + 90, w: 320, h: 180 };
    // shown in a 400×400 element: scale 400/1280, picture 400×225 at y 87.5
    const r = boxOnElement(box, { width: 640, height: 480 }, { width: 1280, height: 720 }, { width: 400, height: 400 });
    assert.ok(r);
    assert.deepEqual(
      Object.values(r).map((v) => Math.round(v * 1000) / 1000),
      [100, 87.5 + 56.25, 200, 112.5],
    );
  });

  it('no box until the video has a size', () => {
    assert.equal(
      boxOnElement(
        { x: 1, y: 1, w: 1, h: 1 },
        { width: 640, height: 480 },
        { width: 0, height: 0 },
        { width: 9, height: 9 },
      ),
      undefined,
    );
  });
});
