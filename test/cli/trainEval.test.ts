/**
 * `microemo train` / `microemo eval` end to end on generated clips (a real face photo + espeak-ng speech), and the
 * clip-feature extraction they share: the live pipeline's tokens, the VAD's utterances, the per-clip cache, the
 * optional image encoder's embedding in the global tokens, labels.csv problems.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { clipFeatures, MediaClipExtractor, readLabels } from '../../src/cli/clipFeatures.ts';
import { defaultWeights } from '../../src/model/defaultWeights.ts';
import { GLOBAL_BASE_DIM, LOCAL_INPUT_DIM, PROSODY_INPUT_DIM } from '../../src/model/tokens.ts';
import { loadCoreModel } from '../../src/model/utteranceEmotion.ts';
import { saveWeights } from '../../src/model/weights.ts';
import { runCli } from '../harness/cli.ts';
import { espeakAvailable, FFMPEG, makeFaceClip, makeSpeechWav } from '../harness/clips.ts';
import { W, writeEncoder } from '../harness/imageEncoders.ts';

const skip = espeakAvailable() ? false : 'espeak-ng is not installed (apt install espeak-ng)';

describe('train / eval on labelled clips', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'microemo-train-'));
  const data = join(dir, 'data');
  const cache = join(dir, 'cache');
  let spans: [number, number][] = [];
  before(() => {
    const speech = makeSpeechWav(join(dir, 'speech'), {
      lead: 0.6,
      phrases: [['We should talk about the plan.', 0.9]],
    });
    spans = speech.spans;
    const clip = makeFaceClip(dir, speech.path, 3.5, 30);
    execFileSync('mkdir', ['-p', data]);
    copyFileSync(clip, join(data, 'a.mp4'));
    copyFileSync(clip, join(data, 'b.mp4'));
    writeFileSync(
      join(data, 'labels.csv'),
      'file,emotion,speaker\na.mp4,happy,s1\n"b.mp4",Sadness,s2\nc.mp4,happy,s1\na.mp4,bored,s1\n',
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('labels.csv: aliases, quoting, missing files and unknown labels are reported, bad folders refused', () => {
    const { rows, skipped } = readLabels(data);
    assert.deepEqual(
      rows.map((r) => [r.file, r.label, r.speaker]),
      [
        ['a.mp4', 'happy', 's1'],
        ['b.mp4', 'sad', 's2'],
      ],
    );
    assert.deepEqual(skipped, ['c.mp4: file missing', 'a.mp4: unknown label "bored"']);
    assert.throws(() => readLabels(join(dir, 'nope')), /data folder .*nope does not exist/);
    assert.throws(() => readLabels(dir), /labels\.csv is missing/);
  });

  it('features come from the live pipeline: one local token per frame, the VAD utterance, prosody; cached after', async () => {
    const ex = new MediaClipExtractor();
    const first = await clipFeatures(join(data, 'a.mp4'), ex, cache);
    assert.equal(first.cached, false);
    const f = first.features;
    // 3.5 s at 30 fps, the face found on (nearly) every frame
    assert.ok(f.locals.length >= 95 && f.locals.length <= 105, `${f.locals.length} local tokens`);
    assert.ok(f.locals.every((l) => l.token.length === LOCAL_INPUT_DIM));
    assert.ok(f.globals.length >= 95 && f.globals.every((g) => g.token.length === GLOBAL_BASE_DIM));
    assert.ok(f.prosody.length > 50 && f.prosody.every((p) => p.token.length === PROSODY_INPUT_DIM));
    assert.equal(f.utterances.length, 1, JSON.stringify(f.utterances));
    assert.ok(Math.abs(f.utterances[0].start - spans[0][0]) < 0.15, `start ${f.utterances[0].start} vs ${spans[0][0]}`);
    assert.ok(Math.abs(f.utterances[0].end - spans[0][1]) < 0.15, `end ${f.utterances[0].end} vs ${spans[0][1]}`);
    const again = await clipFeatures(join(data, 'a.mp4'), ex, cache);
    assert.equal(again.cached, true);
    assert.deepEqual(Buffer.from(again.features.locals[40].token.buffer), Buffer.from(f.locals[40].token.buffer));
    assert.deepEqual(again.features.utterances, f.utterances);
  });

  it('an image encoder adds its embedding to every global token (the solid colour of the clip through W)', async () => {
    const enc = writeEncoder(join(dir, 'enc.onnx'), 'nchw');
    const clip = join(dir, 'colour.mp4');
    execFileSync(FFMPEG, [
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'color=c=0x336699:s=320x240:r=30:d=1',
      '-pix_fmt',
      'yuv420p',
      clip,
    ]);
    const { features } = await clipFeatures(clip, new MediaClipExtractor({ imageEncoder: enc }), null);
    assert.ok(features.globals.length >= 28, `${features.globals.length} global tokens`);
    const norm = (v: number, c: number) => (v / 255 - [0.485, 0.456, 0.406][c]) / [0.229, 0.224, 0.225][c];
    const colour = [0x33, 0x66, 0x99];
    for (const g of features.globals) {
      assert.equal(g.token.length, GLOBAL_BASE_DIM + 4);
      for (let k = 0; k < 4; k++) {
        const want = [0, 1, 2].reduce((s, c) => s + norm(colour[c], c) * W[c * 4 + k], 0);
        // yuv420p round trip: a few 1/255 steps per channel
        assert.ok(
          Math.abs(g.token[GLOBAL_BASE_DIM + k] - want) < 0.08,
          `dim ${k}: ${g.token[GLOBAL_BASE_DIM + k]} vs ${want}`,
        );
      }
    }
    // weights trained without the encoder cannot read its tokens: refused with the reason
    const w = join(dir, 'plain.json');
    saveWeights(w, defaultWeights());
    await assert.rejects(
      loadCoreModel(w, 4),
      /trained with imageEmbeddingDim 0, but the configured image encoder gives 4/,
    );
  });

  it('train writes weights + report; eval prints the ablation table and JSON; bad options exit 1 with the reason', async () => {
    const weights = join(dir, 'w.json');
    const tr = await runCli([
      'train',
      '--data',
      data,
      '--out',
      weights,
      '--epochs',
      '3',
      '--val',
      '0',
      '--cache',
      cache,
      '--no-progress',
    ]);
    assert.equal(tr.code, 0, tr.err);
    assert.match(tr.err, /skipped c\.mp4: file missing/);
    assert.match(tr.err, /train: 2 clips, training accuracy/);
    const w = JSON.parse(readFileSync(weights, 'utf8'));
    assert.equal(w.format, 'microemo-weights');
    assert.equal(w.meta.kind, 'trained');
    const report = JSON.parse(readFileSync(join(dir, 'w.report.json'), 'utf8'));
    assert.equal(report.clips, 2);
    assert.equal(report.losses.length, 3);
    assert.ok(report.losses.every((l: number) => Number.isFinite(l) && l > 0));

    const ev = await runCli([
      'eval',
      '--data',
      data,
      '--weights',
      weights,
      '--cache',
      cache,
      '--json',
      '--no-progress',
    ]);
    assert.equal(ev.code, 0, ev.err);
    const j = JSON.parse(ev.out);
    const full = j.rows.find((r: { mode: string }) => r.mode === 'full');
    assert.equal(j.uar, full.uar);
    assert.equal(j.macro_f1, full.macro_f1);
    assert.deepEqual(j.confusion, full.confusion);
    assert.deepEqual(
      j.clips.map((c: { label: string }) => c.label),
      ['happy', 'sad'],
    );
    assert.deepEqual(
      j.rows.map((r: { mode: string }) => r.mode),
      ['frameMean', 'globalOnly', 'localOnly', 'fixedWindows', 'full'],
    );
    for (const r of j.rows) {
      assert.equal(r.n, 2);
      assert.equal(r.predictions.length, 2);
      assert.ok(r.uar >= 0 && r.uar <= 1 && r.accuracy >= 0 && r.accuracy <= 1);
      assert.equal(
        r.confusion.flat().reduce((a: number, b: number) => a + b, 0),
        2,
      );
    }
    const text = await runCli(['eval', '--data', data, '--cache', cache, '--no-progress']);
    assert.equal(text.code, 0, text.err);
    assert.match(text.out, /mode\s+acc\s+UAR\s+WAR\s+macroF1/);
    assert.match(text.out, /\(a\) frame-mean expression\s+[\d.]+/);
    assert.match(text.out, /\(e\) full model\s+[\d.]+/);
    assert.match(text.out, /confusion matrix/);

    // another shape: trained from seeded weights, read back by eval
    const small = join(dir, 'small.json');
    const sh = await runCli(
      [
        'train',
        '--data',
        data,
        '--out',
        small,
        '--epochs',
        '1',
        '--val',
        '0',
        '--d-model',
        '64',
        '--heads',
        '2',
      ].concat(['--queries', '4', '--cache', cache, '--no-progress']),
    );
    assert.equal(sh.code, 0, sh.err);
    const sw = JSON.parse(readFileSync(small, 'utf8'));
    assert.deepEqual([sw.options.dModel, sw.options.heads, sw.options.queries], [64, 2, 4]);
    const se = await runCli(['eval', '--data', data, '--weights', small, '--cache', cache, '--json', '--no-progress']);
    assert.equal(se.code, 0, se.err);
    assert.equal(JSON.parse(se.out).rows.length, 5);
    const shape = await runCli(['train', '--data', data, '--d-model', '100', '--heads', '3', '--no-progress']);
    assert.equal(shape.code, 1);
    assert.match(shape.err, /bad model shape: dModel must be a multiple of heads/);
    const bad = await runCli(['train', '--data', data, '--epochs', '0', '--no-progress']);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /--epochs must be an integer ≥ 1, got "0"/);
    const none = await runCli(['eval', '--data', join(dir, 'nope'), '--no-progress']);
    assert.equal(none.code, 1);
    assert.match(none.err, /data folder .*nope does not exist/);
  });
});
