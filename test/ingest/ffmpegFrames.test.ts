import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { parseStderrLine, readStderr, rgbFramesWithPts } from '../../src/ingest/ffmpegFrames.ts';
import { resolveFfmpeg } from '../../src/ingest/ffmpegPath.ts';

// lines as ffmpeg 4.1's showinfo prints them
const FRAME =
  '[Parsed_showinfo_1 @ 0x5d0c2c0] n:   3 pts:  27000 pts_time:0.3     pos:       -1 fmt:rgb24 sar:1/1 s:640x480 i:P iskey:0 type:P checksum:8F6E1B0B plane_checksum:[8F6E1B0B] mean:[81] stdev:[60.1]';
const CONFIG = '[Parsed_showinfo_1 @ 0x5d0c2c0] config in time_base: 1/90000, frame_rate: 30/1';

describe('ffmpeg stderr', () => {
  it('parses frame lines, swallows other showinfo output, passes the rest on', () => {
    assert.deepEqual(parseStderrLine(FRAME), { pts: 27000, ptsTime: 0.3 });
    assert.deepEqual(parseStderrLine(FRAME.replace('pts:  27000 pts_time:0.3', 'pts:   -512 pts_time:-0.0106667')), {
      pts: -512,
      ptsTime: -0.0106667,
    });
    assert.equal(parseStderrLine(CONFIG), null);
    assert.equal(parseStderrLine('pipe:0: Invalid data found'), 'pipe:0: Invalid data found');
  });

  it('splits chunks into lines wherever the chunks break', () => {
    const stderr = new PassThrough();
    const frames: number[] = [];
    const lines: string[] = [];
    readStderr(
      stderr,
      (f) => frames.push(f.pts),
      (l) => lines.push(l),
    );
    const text = `${FRAME}\n${CONFIG}\nsomething else\n${FRAME.replace('27000', '30000')}\npartial`;
    for (let i = 0; i < text.length; i += 7) stderr.write(text.slice(i, i + 7));
    assert.deepEqual(frames, [27000, 30000]);
    assert.deepEqual(lines, ['something else']);
  });
});

describe('rgbFramesWithPts (the bundled ffmpeg)', () => {
  it('gives the frames of a plain rgb24 decode byte for byte, and each frame pts in order, variable frame rate kept', () => {
    const ffmpeg = resolveFfmpeg();
    const dir = mkdtempSync(join(tmpdir(), 'microemo-ffmpegframes-'));
    try {
      // 12 frames whose spacing doubles after the 6th (VFR): pts 0..5 at 1/10 s, then every 2/10 s
      const clip = join(dir, 'vfr.mkv');
      execFileSync(ffmpeg, [
        '-v',
        'error',
        '-f',
        'lavfi',
        '-i',
        'testsrc2=size=96x64:rate=10',
        '-frames:v',
        '12',
        '-vf',
        "setpts='if(lt(N,6),N,6+2*(N-6))/(10*TB)'",
        '-vsync',
        'passthrough',
        '-c:v',
        'libx264',
        '-preset',
        'ultrafast',
        '-bf',
        '2',
        clip,
      ]);
      const run = (args: string[]) =>
        spawnSync(ffmpeg, ['-hide_banner', '-nostdin', '-i', clip, ...args], { maxBuffer: 1 << 26 });
      const withPts = run(rgbFramesWithPts('scale=48:32'));
      const plain = run([
        '-map',
        '0:v:0',
        '-vf',
        'scale=48:32',
        '-vsync',
        'passthrough',
        '-f',
        'rawvideo',
        '-pix_fmt',
        'rgb24',
        'pipe:1',
      ]);
      assert.equal(withPts.status, 0, withPts.stderr.toString());
      assert.equal(withPts.stdout.length, 12 * 48 * 32 * 3);
      assert.ok(withPts.stdout.equals(plain.stdout), 'frames differ from a plain decode');
      const pts = withPts.stderr
        .toString()
        .split('\n')
        .map(parseStderrLine)
        .flatMap((f) => (f && typeof f !== 'string' ? [Math.round(f.ptsTime * 10)] : []));
      assert.deepEqual(pts, [0, 1, 2, 3, 4, 5, 6, 8, 10, 12, 14, 16]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
