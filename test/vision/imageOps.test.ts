import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type Affine,
  applyAffine,
  flipAffine,
  GREY_WEIGHTS,
  invertAffine,
  letterboxAffine,
  pinFrame,
  type RgbFrame,
  rectToAffine,
  setWarpBackend,
  type WarpOptions,
  warpAffine,
  warpKernelReady,
} from '../../src/vision/imageOps.ts';
import { frameCopies } from '../../src/vision/warpWasm.ts';

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

describe('warpAffine WebAssembly kernel', () => {
  /** deterministic pseudo-random numbers in [0, 1) */
  function rng(seed: number): () => number {
    let s = seed >>> 0;
    return () => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return s / 2 ** 32;
    };
  }

  function noise(W: number, H: number, rand: () => number): RgbFrame {
    const rgb = new Uint8Array(W * H * 3);
    for (let i = 0; i < rgb.length; i++) rgb[i] = (rand() * 256) | 0;
    return { width: W, height: H, rgb };
  }

  function warpWith(backend: 'js' | 'wasm', ...args: Parameters<typeof warpAffine>): Float32Array {
    setWarpBackend(backend);
    try {
      return warpAffine(...args);
    } finally {
      setWarpBackend('wasm');
    }
  }

  /** JS and kernel outputs, bit for bit (NaN counts equal to NaN) */
  function assertSame(frame: RgbFrame, m: Affine, outW: number, outH: number, opts: WarpOptions, what: string): void {
    const js = warpWith('js', frame, m, outW, outH, opts);
    const wasm = warpWith('wasm', frame, m, outW, outH, opts);
    assert.equal(wasm.length, js.length);
    const a = new Uint32Array(js.buffer);
    const b = new Uint32Array(wasm.buffer);
    for (let i = 0; i < a.length; i++) {
      if (a[i] !== b[i] && !(Number.isNaN(js[i]) && Number.isNaN(wasm[i]))) {
        assert.fail(`${what}: output ${i} js ${js[i]} wasm ${wasm[i]}`);
      }
    }
  }

  it('is available on this Node (WebAssembly SIMD)', async () => {
    assert.equal(await warpKernelReady(), true);
  });

  it('equals the JS loops bit for bit on random maps, options and sizes', async () => {
    await warpKernelReady();
    const rand = rng(7);
    for (const [W, H] of [
      [640, 480],
      [37, 53],
      [8, 6],
      [3, 2],
      [1, 1],
    ]) {
      const frame = noise(W, H, rand);
      for (let t = 0; t < 60; t++) {
        // centres anywhere from a frame-size outside to a frame-size past the far edge, any angle, 0.05–3 frames big
        const rect = {
          cx: (rand() * 3 - 1) * W,
          cy: (rand() * 3 - 1) * H,
          size: (0.05 + rand() * 3) * Math.max(W, H),
          angle: (rand() - 0.5) * 2 * Math.PI,
        };
        const outW = 1 + ((rand() * 70) | 0);
        const outH = 1 + ((rand() * 70) | 0);
        const opts = (
          [
            {},
            { scale: 1 / 255 },
            { scale: 1 / 127.5, offset: -1, border: 12 },
            { scale: [0.3, -0.02, 1.7], offset: [5, -1, 0.25], border: 200, flip: true },
            { grey: GREY_WEIGHTS },
            { grey: [0.5, 0.25, 0.25], scale: [1 / 255, 9, 9], offset: [-0.5, 9, 9], flip: true, border: Number.NaN },
          ] satisfies WarpOptions[]
        )[t % 6];
        assertSame(frame, rectToAffine(rect, outW, outH), outW, outH, opts, `${W}×${H} case ${t}`);
      }
      // axis-aligned maps: identity, shifts reaching past each edge, a mirror, an upscale landing on pixel centres
      for (const m of [
        { a: 1, b: 0, c: 0, d: 0, e: 1, f: 0 },
        { a: 1, b: 0, c: -0.5 * W, d: 0, e: 1, f: -0.5 * H },
        { a: 1, b: 0, c: 0.5 * W, d: 0, e: 1, f: 0.5 * H },
        { a: -1, b: 0, c: W, d: 0, e: 1, f: 0.25 },
        { a: 0.25, b: 0, c: 0.375, d: 0, e: 0.25, f: 0.375 },
      ]) {
        assertSame(frame, m, W + 3, H + 1, {}, `${W}×${H} axis-aligned`);
        assertSame(frame, m, W, H, { grey: GREY_WEIGHTS, scale: 2, offset: 1 }, `${W}×${H} axis-aligned grey`);
      }
    }
  });

  it('writes at outOffset and leaves the rest of the output alone', async () => {
    await warpKernelReady();
    const frame = noise(64, 48, rng(3));
    const m = rectToAffine({ cx: 30, cy: 20, size: 40, angle: 0.4 }, 37, 53);
    for (const backend of ['js', 'wasm'] as const) {
      const out = new Float32Array(10 + 37 * 53 * 3 + 10).fill(-7);
      warpWith(backend, frame, m, 37, 53, { scale: 1 / 255 }, out, 10);
      assert.ok(out.subarray(0, 10).every((v) => v === -7) && out.subarray(-10).every((v) => v === -7));
      assert.deepEqual(out.subarray(10, -10), warpWith('js', frame, m, 37, 53, { scale: 1 / 255 }));
    }
  });

  it('copies a pinned frame once for all its crops, and sees new pixels in a reused buffer', async () => {
    await warpKernelReady();
    const rand = rng(11);
    const frame = noise(640, 480, rand);
    const crops: [Affine, number, WarpOptions][] = [
      [rectToAffine({ cx: 300, cy: 200, size: 250, angle: 0.3 }, 192), 192, { scale: 1 / 255 }],
      [rectToAffine({ cx: 310, cy: 210, size: 180, angle: -0.1 }, 112), 112, {}],
      [rectToAffine({ cx: 310, cy: 210, size: 180, angle: -0.1 }, 64), 64, { grey: GREY_WEIGHTS }],
    ];
    for (let round = 0; round < 3; round++) {
      // the owner writes the next frame's pixels into the same buffer between analyses
      if (round > 0) for (let i = 0; i < frame.rgb.length; i += 1 + ((rand() * 7) | 0)) frame.rgb[i] ^= 0x5a;
      const before = frameCopies.whole;
      const release = pinFrame(frame);
      try {
        for (const [m, S, opts] of crops) assertSame(frame, m, S, S, opts, `pinned round ${round}`);
      } finally {
        release();
      }
      assert.equal(frameCopies.whole - before, 1, 'one whole-frame copy per pinned frame');
      // unpinned warps of the changed buffer are right too
      frame.rgb[(200 * 640 + 300) * 3] ^= 0xff;
      assertSame(frame, crops[0][0], 192, 192, crops[0][2], `unpinned round ${round}`);
    }
  });

  it('keeps concurrently pinned frames and frames of different sizes apart', async () => {
    await warpKernelReady();
    const rand = rng(5);
    const a = noise(640, 480, rand);
    const b = noise(320, 240, rand);
    const c = noise(37, 53, rand);
    const big = noise(1280, 720, rand);
    const m = rectToAffine({ cx: 30, cy: 30, size: 50, angle: 0.8 }, 40);
    const releaseA = pinFrame(a);
    const releaseB = pinFrame(b);
    // interleaved, as two streams' analyses interleave on one worker; then unpinned and larger frames in between
    for (const f of [a, b, a, c, b, big, a, c, big, b]) {
      assertSame(f, m, 40, 40, {}, `${f.width}×${f.height}`);
      assertSame(f, m, 40, 40, { grey: GREY_WEIGHTS }, `${f.width}×${f.height} grey`);
    }
    releaseA();
    releaseB();
    const releaseBig = pinFrame(big);
    assertSame(big, m, 40, 40, {}, 'pinned after release');
    releaseBig();
  });
});
