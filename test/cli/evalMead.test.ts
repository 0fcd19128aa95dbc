/**
 * `microemo eval` on the MEAD clips of ../shared/media/labeled/mead (8 posed emotions of one speaker, video only):
 * the table is printed and the default model beats ablation (a), the frame-mean of the expression nets (issue #8).
 * Measured: full 0.75 (angry, disgusted, happy, neutral, sad, surprised right; contempt → neutral, fear → surprised),
 * frame-mean 0.625 (angry → happy, contempt → neutral, fear → surprised). The angry clip comes right because the nets'
 * happy reading of it meets no lip-corner pull in the mesh (defaultWeights.ts: happy needs AU12).
 * The two wrong clips move the right way but do not flip: contempt's one-sided lip-corner pull (token asymmetry, mean
 * 0.41 on the clip) lifts contempt 0.017 → 0.067 against neutral 0.30; the fear unit (AU4/AU20 take the nets'
 * surprise to fear) lifts fear 0.003 → 0.11 against surprised 0.81 — this speaker shows no AU4 in fear and AU20 on
 * 43 % of its frames (p90 0.36).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli } from '../harness/cli.ts';
import { MEDIA_DIR, skipWithoutMedia } from '../harness/media.ts';

describe('eval on MEAD', { skip: skipWithoutMedia('labeled/mead/labels.csv') }, () => {
  const cache = mkdtempSync(join(tmpdir(), 'microemo-mead-'));
  const data = join(MEDIA_DIR, 'labeled', 'mead');
  after(() => rmSync(cache, { recursive: true, force: true }));

  it('prints the ablation table; the full model reads the posed clips better than the frame mean', async () => {
    const json = await runCli(['eval', '--data', data, '--cache', cache, '--json', '--no-progress']);
    assert.equal(json.code, 0, json.err);
    const r = JSON.parse(json.out);
    const row = (m: string) => r.rows.find((x: { mode: string }) => x.mode === m);
    assert.equal(r.clips.length, 8);
    for (const m of ['frameMean', 'globalOnly', 'localOnly', 'fixedWindows', 'full']) assert.equal(row(m).n, 8, m);
    console.log(
      `# MEAD UAR: full ${row('full').uar.toFixed(3)}, frame-mean ${row('frameMean').uar.toFixed(3)}, local only ${row('localOnly').uar.toFixed(3)}, global only ${row('globalOnly').uar.toFixed(3)}`,
    );
    assert.ok(row('full').uar > row('frameMean').uar, `full ${row('full').uar} ≤ frame-mean ${row('frameMean').uar}`);
    assert.ok(row('full').uar >= 0.5, `full-model UAR ${row('full').uar}`);
    // the expression classes the nets see clearly on these clips come out right
    const labels = r.clips.map((c: { label: string }) => c.label);
    const pred = row('full').predictions.map((i: number) => r.classes[i]);
    for (const c of ['neutral', 'happy', 'sad', 'surprised', 'disgusted', 'angry']) {
      assert.equal(pred[labels.indexOf(c)], c, `${c} clip read as ${pred[labels.indexOf(c)]}`);
    }
    const text = await runCli(['eval', '--data', data, '--cache', cache, '--no-progress']);
    assert.equal(text.code, 0, text.err);
    assert.match(text.out, /^8 clips/);
    for (const title of [
      '(a) frame-mean',
      '(b) global tokens only',
      '(c) local tokens only',
      '(d) fixed 2 s windows',
      '(e) full model',
    ]) {
      assert.ok(text.out.includes(title), title);
    }
  });

  it.todo(
    'the full model beats the frame mean by 0.15 UAR (issue #8 target; +0.125 on these 8 clips today: 7 of 8 needed, contempt ~1.5 and fear ~2 logits short)',
  );
});
