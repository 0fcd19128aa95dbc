/**
 * Meshes and expression-net probabilities of real media, cached, for the AU calibration scripts
 * (scripts/neutralPrior.ts, scripts/auDump.ts): a clip runs through FaceTracker as FrameAnalyzer drives it (detect
 * every 10 frames, one face, at the clip's own size and rate); a still runs through the detector (every face).
 * Cached under $TMPDIR/microemo-meshcache by file name, mtime and the facemesh model's size, so formula changes re-run
 * in seconds. Media stays where it is: nothing is copied.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import ffmpeg from '@ffmpeg-installer/ffmpeg';
import sharp from 'sharp';
import { OrtSessionCache } from '../src/model/ortSession.ts';
import { MESH_POINTS } from '../src/vision/faceMesh.ts';
import { FaceStack } from '../src/vision/faceStack.ts';
import { FaceTracker } from '../src/vision/faceTracker.ts';
import type { RgbFrame } from '../src/vision/imageOps.ts';
import { decodeClip } from '../test/vision/decodeClip.ts';

export interface MeshFrame {
  t: number;
  /** 468×3 landmarks, frame pixels */
  lm: Float32Array;
  /** ensemble expression probabilities (neutral first) */
  probs: Float32Array;
}

const PER = MESH_POINTS * 3 + 8;
const dir = join(tmpdir(), 'microemo-meshcache');
const cache = new OrtSessionCache({ intraOpThreads: 1 });
let stack: FaceStack | null = null;

function probe(path: string): { w: number; h: number; fps: number } {
  const r = spawnSync(ffmpeg.path, ['-i', path], { encoding: 'utf8' });
  const m = /Video: .*?(\d{2,5})x(\d{2,5}).*?([\d.]+) (?:fps|tbr)/.exec(r.stderr);
  if (!m) throw new Error(`cannot probe ${path}`);
  return { w: Number(m[1]), h: Number(m[2]), fps: Number(m[3]) };
}

function load(key: string): MeshFrame[][] | null {
  if (!existsSync(key)) return null;
  const all = new Float32Array(new Uint8Array(readFileSync(key)).buffer);
  const out: MeshFrame[][] = [];
  for (let o = 0; o < all.length; o += PER) {
    const face = all[o + PER - 1];
    while (out.length <= face) out.push([]);
    out[face].push({
      t: all[o],
      lm: all.slice(o + 1, o + 1 + MESH_POINTS * 3),
      probs: all.slice(o + 1 + MESH_POINTS * 3, o + PER - 1),
    });
  }
  return out;
}

function save(key: string, faces: MeshFrame[][]): void {
  const n = faces.reduce((s, f) => s + f.length, 0);
  const all = new Float32Array(n * PER);
  let o = 0;
  faces.forEach((f, k) => {
    for (const fr of f) {
      all[o] = fr.t;
      all.set(fr.lm, o + 1);
      all.set(fr.probs, o + 1 + MESH_POINTS * 3);
      all[o + PER - 1] = k;
      o += PER;
    }
  });
  writeFileSync(key, new Uint8Array(all.buffer));
}

/** Per face (a still: every detected face; a clip: its one track), the frames with a mesh. */
export async function meshes(path: string): Promise<MeshFrame[][]> {
  mkdirSync(dir, { recursive: true });
  const key = join(dir, `${basename(path)}.${statSync(path).mtimeMs}.v1.bin`);
  const hit = load(key);
  if (hit) return hit;
  stack ??= await FaceStack.load({ cache });
  let faces: MeshFrame[][];
  if (/\.(jpe?g|png)$/i.test(path)) {
    const { data, info } = await sharp(path).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const frame: RgbFrame = {
      width: info.width,
      height: info.height,
      rgb: new Uint8Array(data.buffer, data.byteOffset, data.length),
    };
    faces = (await stack.detect(frame)).map((f) => [
      { t: 0, lm: f.mesh.landmarks.slice(), probs: Float32Array.from(f.expression.probs) },
    ]);
  } else {
    const { w, h, fps } = probe(path);
    const s = Math.min(1, 640 / Math.max(w, h));
    const W = 2 * Math.round((w * s) / 2);
    const H = 2 * Math.round((h * s) / 2);
    const frames = await decodeClip(path, W, H, { fps: Math.min(fps, 30) });
    const tracker = new FaceTracker(stack, { detectEvery: 10, maxFaces: 1 });
    const track: MeshFrame[] = [];
    for (let i = 0; i < frames.length; i++) {
      const t = i / Math.min(fps, 30);
      const f = (await tracker.process(frames[i], t)).faces[0]?.face;
      if (f) track.push({ t, lm: f.mesh.landmarks.slice(), probs: Float32Array.from(f.expression.probs) });
    }
    faces = [track];
  }
  save(key, faces);
  return faces;
}

export async function closeMeshCache(): Promise<void> {
  await cache.releaseAll();
}
