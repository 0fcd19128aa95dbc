import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ProsodyAnalyzer } from '../../src/audio/prosodyAnalyzer.ts';
import { espeakAvailable, FFMPEG, makeSpeechWav } from '../harness/clips.ts';

const SR = 16000;

function analyse(x: Float32Array): ProsodyAnalyzer {
  const pa = new ProsodyAnalyzer();
  for (let i = 0; i < x.length; i += 320) pa.push(x.subarray(i, i + 320), i / SR);
  return pa;
}

describe('speaking rate (syllable nuclei per second)', () => {
  it('counts the beats of a voiced tone pulsing 4 times a second', () => {
    // 150 Hz with 4 Hz amplitude modulation (20 dB deep): 4 "syllables" per second for 3 s
    const x = new Float32Array(3 * SR).map((_, i) => {
      const t = i / SR;
      return 0.3 * (0.55 - 0.45 * Math.cos(2 * Math.PI * 4 * t)) * Math.sin(2 * Math.PI * 150 * t);
    });
    const pa = analyse(x);
    const u = pa.utterance(0.1, 2.9).summary;
    // beats peak at 0.125, 0.375, …, 2.875: 12 of them inside [0.1, 2.9]
    assert.equal(u.nuclei, 12);
    assert.ok(Math.abs(u.rate - 12 / 2.8) < 1e-9);
    for (const t of pa.nuclei.filter((n) => n > 0.1 && n < 2.9)) {
      const beat = 0.125 + 0.25 * Math.round((t - 0.125) / 0.25);
      assert.ok(Math.abs(t - beat) < 0.03, `nucleus at ${t}, beat at ${beat}`);
    }
  });

  it('finds the syllable rate of espeak-ng speech (syllables counted by hand)', {
    skip: !espeakAvailable() && 'espeak-ng not installed',
  }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'microemo-rate-'));
    try {
      // syllables per phrase counted by hand: the·wea·ther·was·love·ly·this·mor·ning (9), then·it·star·ted·to·rain·
      // quite·hea·vi·ly (10), we·stayed·in·side (4), good·mor·ning·ev·ery·one·and·thank·you·for·co·ming (12)
      const phrases: [string, number][] = [
        ['The weather was lovely this morning.', 0.8],
        ['Then it started to rain quite heavily.', 0.8],
        ['We stayed inside.', 0.8],
        ['Good morning, everyone, and thank you for coming.', 0.8],
      ];
      const syllables = [9, 10, 4, 12];
      const speech = makeSpeechWav(dir, { lead: 0.5, phrases });
      const buf = execFileSync(FFMPEG, [
        '-v',
        'error',
        '-i',
        speech.path,
        '-ac',
        '1',
        '-ar',
        '16000',
        '-f',
        'f32le',
        '-',
      ]);
      const pa = analyse(new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength)));
      let found = 0;
      speech.spans.forEach(([s, e], i) => {
        const u = pa.utterance(s, e).summary;
        const truth = syllables[i] / (e - s);
        // espeak at 150 words/min: 3.5–5 syllables per second
        assert.ok(truth > 3 && truth < 5.5, `true rate ${truth}`);
        assert.ok(Math.abs(u.rate / truth - 1) <= 0.25, `phrase ${i}: ${u.rate} vs ${truth} syll/s`);
        found += u.nuclei;
      });
      assert.ok(Math.abs(found - 35) <= 3, `${found} nuclei for 35 syllables`);
      // no nuclei in the silences
      assert.equal(pa.nuclei.filter((t) => !speech.spans.some(([s, e]) => t >= s - 0.05 && t <= e + 0.05)).length, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
