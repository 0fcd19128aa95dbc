import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { parseStderrLine, readStderr } from '../../src/ingest/ffmpegFrames.ts';

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
