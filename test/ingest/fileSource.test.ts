import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { analysisSize, type FileSource, openFileSource } from '../../src/ingest/fileSource.ts';
import { MediaProbeError } from '../../src/ingest/probeMedia.ts';
import { FFMPEG } from '../harness/clips.ts';

/** Runs a source to its end, collecting frame times, audio sample count and the end reason. */
async function drain(src: FileSource, onFrame?: (i: number) => void) {
  const times: number[] = [];
  let samples = 0;
  let audioContinuous = true;
  src.on('video', (f) => {
    times.push(f.t);
    onFrame?.(times.length);
  });
  src.on('audio', (c) => {
    if (Math.abs(c.t - samples / 16000) > 1e-9) audioContinuous = false;
    samples += c.samples.length;
  });
  const end = new Promise<[string, string | undefined]>((r) => src.once('end', (reason, msg) => r([reason, msg])));
  src.start();
  return { end: await end, times, audioS: samples / 16000, audioContinuous };
}

describe('file source', () => {
  let dir: string;
  let clip: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'microemo-fs-'));
    clip = join(dir, 'pattern.mp4');
    // 4 s of 25 fps 1280×720 test pattern with a 440 Hz tone, moov atom first so a truncated copy stays readable
    execFileSync(FFMPEG, [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=1280x720:rate=25:duration=4',
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=440:sample_rate=48000:duration=4',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-pix_fmt',
      'yuv420p',
      '-c:a',
      'aac',
      '-movflags',
      '+faststart',
      '-shortest',
      clip,
    ]);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('scales the long side to the analysis size, keeping aspect and even sizes', () => {
    assert.deepEqual(analysisSize(1280, 720, 640), { width: 640, height: 360 });
    assert.deepEqual(analysisSize(480, 640, 640), { width: 480, height: 640 });
    assert.deepEqual(analysisSize(321, 241, 640), { width: 322, height: 242 });
  });

  it('decodes every frame with its media time and continuous 16 kHz audio', async () => {
    const src = await openFileSource(clip, { streamId: 'f1', room: 'r' });
    assert.deepEqual(src.info.video, { codec: 'h264', width: 640, height: 360 });
    assert.deepEqual(src.info.audio, { codec: 'aac', sampleRate: 16000 });
    const r = await drain(src);
    assert.deepEqual(r.end, ['eof', undefined]);
    assert.equal(r.times.length, 100);
    for (const [i, t] of r.times.entries()) assert.ok(Math.abs(t - i / 25) < 1e-3, `frame ${i} at ${t}`);
    assert.ok(Math.abs(r.audioS - 4) < 0.05, `audio ${r.audioS} s`);
    assert.equal(r.audioContinuous, true);
  });

  it('paces frames in real time when asked', async () => {
    const src = await openFileSource(clip, { streamId: 'f2', room: 'r', realtime: true });
    const t0 = performance.now();
    let atFrame50 = 0;
    await drain(src, (n) => {
      if (n === 50) atFrame50 = (performance.now() - t0) / 1000;
    });
    // frame 50 has t = 1.96 s: paced output cannot deliver it much earlier
    assert.ok(atFrame50 > 1.8 && atFrame50 < 3, `frame 50 after ${atFrame50} s`);
  });

  it('starts the real-time clock at the first frame: no start-up burst, audio on the same clock', async () => {
    const src = await openFileSource(clip, { streamId: 'f2b', room: 'r', realtime: true });
    const frames: [number, number][] = [];
    const audio: [number, number][] = [];
    src.on('video', (f) => frames.push([f.t, performance.now()]));
    src.on('audio', (c) => audio.push([c.t, performance.now()]));
    const end = new Promise((r) => src.once('end', r));
    src.start();
    await end;
    const [t0, wall0] = frames[0];
    assert.equal(t0, 0);
    // frame k arrives k/25 s after frame 0 (a clock started at spawn let ffmpeg's start-up pile frames into a burst)
    for (const [t, wall] of frames.slice(1, 10)) {
      const late = (wall - wall0) / 1000 - t;
      assert.ok(late > -0.01 && late < 0.04, `frame at ${t} s arrived ${late.toFixed(3)} s off its time`);
    }
    assert.ok(audio.length > 100);
    assert.ok(audio[0][1] >= wall0 - 1, 'no audio before the first frame sets the clock');
    for (const [t, wall] of audio.filter(([t]) => t > 0.1 && t < 3)) {
      const late = (wall - wall0) / 1000 - t;
      assert.ok(late > -0.01 && late < 0.06, `audio at ${t} s arrived ${late.toFixed(3)} s off its time`);
    }
  });

  it('holds frames while paused and delivers all of them after resume', async () => {
    const src = await openFileSource(clip, { streamId: 'f3', room: 'r' });
    let paused = false;
    let duringPause = 0;
    const r = drain(src, (n) => {
      if (paused) duringPause++;
      if (n === 10) {
        paused = true;
        src.pause();
        setTimeout(() => {
          paused = false;
          src.resume();
        }, 300);
      }
    });
    const res = await r;
    assert.equal(duringPause, 0);
    assert.equal(res.times.length, 100);
  });

  it('ends a truncated file with a clear error after the frames decoded so far', async () => {
    const cut = join(dir, 'cut.mp4');
    const bytes = readFileSync(clip);
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.5)));
    const r = await drain(await openFileSource(cut, { streamId: 'f4', room: 'r' }));
    assert.equal(r.end[0], 'error');
    assert.match(r.end[1] ?? '', /truncated or corrupt file after \d+ frames/);
    assert.ok(r.times.length > 10 && r.times.length < 100, `${r.times.length} frames before the cut`);
  });

  it('rejects a missing file and a non-media file with a reason', async () => {
    await assert.rejects(openFileSource(join(dir, 'nope.mp4'), { streamId: 'x', room: 'r' }), (e: unknown) => {
      return e instanceof MediaProbeError && /no such file/.test(e.message);
    });
    const junk = join(dir, 'junk.mp4');
    writeFileSync(junk, 'this is not a video');
    await assert.rejects(openFileSource(junk, { streamId: 'x', room: 'r' }), /invalid data|moov atom/);
  });
});
