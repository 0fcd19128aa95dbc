/**
 * `microemo spot-eval`: intervals.csv reading (seconds, frame numbers with --fps, videos without expressions, bad
 * rows), the command's exit codes and JSON on a generated clip, and — with MEAD in ../shared/media — the whole path
 * on real faces: MEAD's happy apex face spliced into his neutral clip (test/harness/splicedExpressions.ts), encoded
 * to H.264, analysed by the pipeline as `microemo analyze` does, scored MEGC-style against the splice's interval.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readIntervals } from '../../src/cli/intervalLabels.ts';
import { OrtSessionCache } from '../../src/model/ortSession.ts';
import { FaceStack } from '../../src/vision/faceStack.ts';
import { runCli } from '../harness/cli.ts';
import { FFMPEG, makeFaceClip, writeRgbClip } from '../harness/clips.ts';
import { skipWithoutMedia } from '../harness/media.ts';
import {
  type ApexFrame,
  loadMeadSplicing,
  MACRO_AT,
  MEAD_CLIPS,
  MEAD_FPS,
  MEAD_NEUTRAL,
  MEAD_SIZE,
  type MeadSplicing,
  MICRO_AT,
  splice,
} from '../harness/splicedExpressions.ts';

const root = mkdtempSync(join(tmpdir(), 'microemo-spot-'));
after(() => rmSync(root, { recursive: true, force: true }));

function folder(name: string, csv: string, files: string[] = []): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  for (const f of files) writeFileSync(join(dir, f), '');
  writeFileSync(join(dir, 'intervals.csv'), csv);
  return dir;
}

describe('intervals.csv', () => {
  it('reads seconds, frame numbers at --fps, and videos listed without an interval', () => {
    const dir = folder('read', 'File,Onset,Offset\na.mp4,1.5,1.9\n"b.mp4",,\n\na.mp4,3,3.4\n', ['a.mp4', 'b.mp4']);
    assert.deepEqual(readIntervals(dir), {
      files: ['a.mp4', 'b.mp4'],
      truth: [
        { onset: 1.5, offset: 1.9, video: 'a.mp4' },
        { onset: 3, offset: 3.4, video: 'a.mp4' },
      ],
    });
    const frames = folder('frames', 'file,onset,offset\na.mp4,45,57\n', ['a.mp4']);
    assert.deepEqual(readIntervals(frames, { fps: 30 }).truth, [{ onset: 1.5, offset: 1.9, video: 'a.mp4' }]);
  });

  it('says what is wrong with a bad folder, header or row, with the line', () => {
    assert.throws(() => readIntervals(join(root, 'nope')), /data folder .*nope does not exist/);
    assert.throws(() => readIntervals(folder('nocsv', '')), /header needs "file", "onset" and "offset"/);
    assert.throws(
      () => readIntervals(folder('missing', 'file,onset,offset\nx.mp4,1,2\n')),
      /intervals.csv:2: x.mp4 does not exist/,
    );
    assert.throws(
      () => readIntervals(folder('order', 'file,onset,offset\na.mp4,2,1\n', ['a.mp4'])),
      /intervals.csv:2: onset and offset must be numbers with 0 ≤ onset < offset, got "2", "1"/,
    );
    assert.throws(() => readIntervals(folder('half', 'file,onset,offset\na.mp4,2,\n', ['a.mp4'])), /intervals.csv:2/);
  });
});

describe('microemo spot-eval on a generated clip', () => {
  let dir = '';
  before(() => {
    dir = join(root, 'gen');
    mkdirSync(dir, { recursive: true });
    const silence = join(dir, 'silence.wav');
    execFileSync(FFMPEG, ['-v', 'error', '-f', 'lavfi', '-i', 'anullsrc=r=16000:cl=mono', '-t', '3', silence]);
    copyFileSync(makeFaceClip(dir, silence, 3, 30), join(dir, 'still.mp4'));
    // 0.3 s "labelled" at 1.0 s (frames 30–39): the clip's face does not change, so it is a miss
    writeFileSync(join(dir, 'intervals.csv'), 'file,onset,offset\nstill.mp4,30,39\n');
  });

  it('scores a clip whose face shows nothing: the labelled interval is a false negative, nothing is spotted', async () => {
    const r = await runCli(['spot-eval', '--data', dir, '--fps', '30', '--json', '--no-progress']);
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out);
    assert.deepEqual([j.tp, j.fp, j.fn, j.precision, j.recall, j.f1, j.iou], [0, 0, 1, 0, 0, 0, 0.5]);
    assert.equal(j.videos.length, 1);
    assert.deepEqual(j.videos[0].truth, [{ onset: 1, offset: 1.3 }]);
    assert.deepEqual(j.videos[0].spotted, []);
  });

  it('exits 1 with a one-line reason on bad data or options', async () => {
    const bad = await runCli(['spot-eval', '--data', join(root, 'nope'), '--no-progress']);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /microemo: data folder .*nope does not exist/);
    const iou = await runCli(['spot-eval', '--data', dir, '--iou', '2', '--no-progress']);
    assert.equal(iou.code, 1);
    assert.match(iou.err, /--iou must be a number ≥ 0.01 and ≤ 1, got "2"/);
  });
});

const rel = (f: string) => join('labeled', 'mead', f);
describe('microemo spot-eval on expressions spliced into a real talking face', {
  skip: skipWithoutMedia(rel(MEAD_NEUTRAL), rel(MEAD_CLIPS.happy as string)),
}, () => {
  let dir = '';
  before(async () => {
    dir = join(root, 'mead');
    mkdirSync(dir, { recursive: true });
    const cache = new OrtSessionCache({ intraOpThreads: 1 });
    const mead = (await loadMeadSplicing(await FaceStack.load({ cache }))) as MeadSplicing;
    const apex = (await mead.apexOf('happy')) as ApexFrame;
    const write = (name: string, frames: typeof mead.neutral) =>
      writeRgbClip(join(dir, name), frames, MEAD_SIZE, MEAD_SIZE, MEAD_FPS);
    write('neutral.mp4', mead.neutral);
    write('micro.mp4', splice(mead.neutral, mead.neutralLm, apex, [MICRO_AT(40)]));
    write('macro.mp4', splice(mead.neutral, mead.neutralLm, apex, [MACRO_AT(40)]));
    // the splices' changed frames: 1.60–1.80 s and 1.60–2.36 s (splicedExpressions.truthOf)
    writeFileSync(
      join(dir, 'intervals.csv'),
      'file,onset,offset\nneutral.mp4,,\nmicro.mp4,1.6,1.8\nmacro.mp4,1.6,2.36\n',
    );
    await cache.releaseAll();
  });

  it('finds both insertions at IoU ≥ 0.5 and nothing in the neutral clip (measured: tp 2, fp 0, fn 0)', async () => {
    const r = await runCli(['spot-eval', '--data', dir, '--json', '--no-progress']);
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out);
    console.log(
      `# spot-eval: ${JSON.stringify(j.videos.map((v: { file: string; spotted: unknown }) => [v.file, v.spotted]))}`,
    );
    assert.deepEqual([j.tp, j.fp, j.fn, j.f1], [2, 0, 0, 1]);
    const by = Object.fromEntries(j.videos.map((v: { file: string }) => [v.file, v]));
    assert.deepEqual(by['neutral.mp4'].spotted, []);
    assert.equal(by['micro.mp4'].spotted[0].kind, 'micro');
    assert.equal(by['macro.mp4'].spotted[0].kind, 'macro');
    for (const f of ['micro.mp4', 'macro.mp4']) assert.ok(Math.abs(by[f].spotted[0].onset - 1.6) <= 0.08, f);
    // the table form says the same
    const t = await runCli(['spot-eval', '--data', dir, '--no-progress']);
    assert.equal(t.code, 0, t.err);
    assert.match(t.out, /MEGC \(interval IoU ≥ 0.5\): tp 2, fp 0, fn 0; precision 1.000, recall 1.000, F1 1.000/);
  });
});
