/**
 * Warms a vision worker's whole per-frame path before it serves streams: a throwaway FrameAnalyzer runs over a few
 * frames of a real face. The per-session ORT warm-up alone leaves V8's first compilation of the JavaScript around the
 * models (tracking, alignment, AUs, spotting, tokens) and the first detector → descriptor → tracking hand-over to the
 * first live stream: measured on 2 streams, its first ~12 frames took up to 270 ms each (p99 106 ms against a 10 ms
 * median) and the frame gate dropped the ~20 frames that arrived meanwhile — 5 % of a 15 s run.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { packageRoot } from '../model/modelBuild.ts';
import type { FrameAnalyzer } from './frameAnalyzer.ts';
import { type RgbFrame, warpKernelReady } from './imageOps.ts';

/** A webcam-like 640×480 frame of one face from the demo photos that ship with @vladmandic/face-api, or null. */
async function warmupFrame(): Promise<RgbFrame | null> {
  let file: string;
  try {
    file = join(packageRoot('@vladmandic/face-api'), 'demo', 'sample3.jpg');
  } catch {
    return null;
  }
  if (!existsSync(file)) return null;
  // the woman on the left of sample3 (face ~200 px), framed as the face-stack benchmark frames her
  const { data, info } = await sharp(file)
    .removeAlpha()
    .extract({ left: 300, top: 200, width: 800, height: 600 })
    .resize(640, 480)
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, rgb: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

/**
 * Runs `analyzer` (a fresh one the caller then drops) over `frames` frames, the face shifted a pixel per frame so the
 * tracker follows a moving mesh; the global branch runs on every frame. Returns the frames analysed (0 when the photo
 * is missing: the worker still works, only its first frames are slow) and the faces found on the last one.
 */
export async function warmFrameAnalysis(
  analyzer: FrameAnalyzer,
  frames = 15,
): Promise<{ frames: number; faces: number }> {
  // the crops' wasm kernel assembles asynchronously (warps use the JS loops until then): warm the path streams use
  await warpKernelReady();
  const base = await warmupFrame();
  if (!base) return { frames: 0, faces: 0 };
  const shifted = new Uint8Array(base.rgb.length);
  const row = base.width * 3;
  let faces = 0;
  for (let i = 0; i < frames; i++) {
    // shift right by i % 4 pixels (the left columns keep the edge pixel): enough motion for real tracking work
    const dx = (i % 4) * 3;
    for (let y = 0; y < base.height; y++) {
      const o = y * row;
      shifted.set(base.rgb.subarray(o, o + row - dx), o + dx);
    }
    const a = await analyzer.analyse({ width: base.width, height: base.height, rgb: shifted }, i / 30, {
      global: true,
      speaking: 0,
    });
    faces = a.faces.length;
  }
  return { frames, faces };
}
