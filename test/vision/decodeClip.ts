/** Decodes a clip to rgb24 frames at its source rate with an ffmpeg binary (npm's by default). */
import { spawn } from 'node:child_process';
import ffmpeg from '@ffmpeg-installer/ffmpeg';
import type { RgbFrame } from '../../src/vision/imageOps.ts';

export async function decodeClip(
  path: string,
  width: number,
  height: number,
  opts: { bin?: string; maxS?: number; fps?: number } = {},
): Promise<RgbFrame[]> {
  const args = ['-v', 'error', '-i', path, ...(opts.maxS ? ['-t', String(opts.maxS)] : [])];
  args.push(
    '-vf',
    `${opts.fps ? `fps=${opts.fps},` : ''}scale=${width}:${height}`,
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgb24',
    '-',
  );
  const p = spawn(opts.bin ?? ffmpeg.path, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const chunks: Buffer[] = [];
  let err = '';
  p.stdout.on('data', (c: Buffer) => chunks.push(c));
  p.stderr.on('data', (c: Buffer) => {
    err += c;
  });
  const code: number = await new Promise((res) => p.on('close', (c) => res(c ?? 1)));
  if (code !== 0) throw new Error(`ffmpeg failed on ${path}: ${err.trim()}`);
  const all = Buffer.concat(chunks);
  const size = width * height * 3;
  const frames: RgbFrame[] = [];
  for (let o = 0; o + size <= all.length; o += size)
    frames.push({ width, height, rgb: new Uint8Array(all.subarray(o, o + size)) });
  return frames;
}
