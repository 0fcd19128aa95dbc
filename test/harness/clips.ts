/**
 * Test media generated on the fly from what ships with the project's dependencies (so always-on tests need no
 * shared media): a talking-head-like clip made of a real face photo from @vladmandic/face-api's demo images,
 * gently moving, with espeak-ng speech separated by known silences.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import ffmpegInstaller from '@ffmpeg-installer/ffmpeg';
import { PROJECT_ROOT } from './media.ts';

export const FFMPEG = ffmpegInstaller.path;
/** a single face (the woman in the middle of sample3.jpg), cropped to 4:3 by makeFaceClip */
const FACE_PHOTO = join(PROJECT_ROOT, 'node_modules/@vladmandic/face-api/demo/sample3.jpg');

export function espeakAvailable(): boolean {
  return spawnSync('espeak-ng', ['--version']).status === 0;
}

export interface SpeechPlan {
  /** [text, silence after it in seconds] */
  phrases: [string, number][];
  /** silence before the first phrase, seconds */
  lead: number;
}

/**
 * Writes 16 kHz mono speech with known silences; returns the speech spans (seconds) measured from the generated
 * pieces' sample counts (not from any detector).
 */
export function makeSpeechWav(dir: string, plan: SpeechPlan): { path: string; spans: [number, number][] } {
  mkdirSync(dir, { recursive: true });
  const parts: string[] = [];
  const spans: [number, number][] = [];
  let t = 0;
  const silence = (name: string, seconds: number) => {
    const p = join(dir, name);
    execFileSync(FFMPEG, [
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'anullsrc=r=16000:cl=mono',
      '-t',
      String(seconds),
      p,
    ]);
    parts.push(p);
    t += seconds;
  };
  if (plan.lead > 0) silence('lead.wav', plan.lead);
  plan.phrases.forEach(([text, after], i) => {
    const raw = join(dir, `phrase${i}.raw.wav`);
    const p = join(dir, `phrase${i}.wav`);
    execFileSync('espeak-ng', ['-v', 'en', '-s', '150', '-w', raw, text]);
    // trim espeak's own leading/trailing silence so the span is the speech itself
    execFileSync(FFMPEG, [
      '-v',
      'error',
      '-y',
      '-i',
      raw,
      '-af',
      'silenceremove=start_periods=1:start_threshold=-50dB,areverse,silenceremove=start_periods=1:start_threshold=-50dB,areverse',
      '-ar',
      '16000',
      '-ac',
      '1',
      p,
    ]);
    const seconds = wavSeconds(p);
    parts.push(p);
    spans.push([t, t + seconds]);
    t += seconds;
    if (after > 0) silence(`gap${i}.wav`, after);
  });
  const list = join(dir, 'list.txt');
  execFileSync('sh', ['-c', `printf "file '%s'\\n" ${parts.map((p) => `'${p}'`).join(' ')} > '${list}'`]);
  const out = join(dir, 'speech.wav');
  execFileSync(FFMPEG, ['-v', 'error', '-y', '-f', 'concat', '-safe', '0', '-i', list, '-c', 'pcm_s16le', out]);
  return { path: out, spans };
}

/** Duration of a 16-bit PCM WAV from its size (the generated files have a 44-byte header, 16 kHz mono). */
function wavSeconds(path: string): number {
  const out = execFileSync(FFMPEG, ['-v', 'error', '-i', path, '-f', 's16le', '-ac', '1', '-ar', '16000', '-'], {
    maxBuffer: 64 * 1024 * 1024,
  });
  return out.length / 2 / 16000;
}

/**
 * A 640×480 clip at `fps` of a real face moving slowly, with the given audio; returns its path.
 */
export function makeFaceClip(dir: string, audio: string, seconds: number, fps = 30): string {
  if (!existsSync(FACE_PHOTO)) throw new Error(`face photo missing: ${FACE_PHOTO}`);
  const out = join(dir, `face_${fps}fps.mp4`);
  execFileSync(FFMPEG, [
    '-v',
    'error',
    '-y',
    '-loop',
    '1',
    '-framerate',
    String(fps),
    '-i',
    FACE_PHOTO,
    '-i',
    audio,
    '-filter_complex',
    `[0:v]crop=600:450:'890+12*sin(2*PI*t/3)':'130+6*sin(2*PI*t/2)',scale=640:480,format=yuv420p[v]`,
    '-map',
    '[v]',
    '-map',
    '1:a',
    '-t',
    String(seconds),
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-g',
    String(fps),
    '-c:a',
    'aac',
    '-ar',
    '48000',
    out,
  ]);
  return out;
}

/** Encodes RGB frames (all `width`×`height`) as a near-lossless H.264 clip at `fps` (no audio). */
export function writeRgbClip(
  path: string,
  frames: readonly { rgb: Uint8Array }[],
  width: number,
  height: number,
  fps: number,
): string {
  execFileSync(
    FFMPEG,
    [
      '-v',
      'error',
      '-y',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      '-s',
      `${width}x${height}`,
      '-r',
      String(fps),
      '-i',
      '-',
      '-c:v',
      'libx264',
      '-pix_fmt',
      'yuv420p',
      '-crf',
      '12',
      path,
    ],
    { input: Buffer.concat(frames.map((f) => Buffer.from(f.rgb.buffer, f.rgb.byteOffset, f.rgb.byteLength))) },
  );
  return path;
}
