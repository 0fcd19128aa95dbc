import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AudioAnalyzer, type AudioFinding } from '../../src/audio/audioAnalyzer.ts';
import type { ProsodyFrame } from '../../src/audio/prosodyFrames.ts';
import { AudioInputError } from '../../src/audio/sileroVad.ts';
import { utteranceProsodySchema } from '../../src/events/schema.ts';
import { espeakAvailable, FFMPEG, makeSpeechWav } from '../harness/clips.ts';
import { mediaPath, skipWithoutMedia } from '../harness/media.ts';

/** Decodes any audio file to 16 kHz mono float32 with ffmpeg. */
function pcm16k(path: string): Float32Array {
  const buf = execFileSync(FFMPEG, ['-v', 'error', '-i', path, '-ac', '1', '-ar', '16000', '-f', 'f32le', '-'], {
    maxBuffer: 256 * 1024 * 1024,
  });
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

type Span = { start: number; end: number; continuation: boolean };

/** Feeds PCM in 20 ms chunks (as a live Opus stream would) and returns the utterance spans. */
async function utterances(samples: Float32Array, opts = {}): Promise<Span[]> {
  const a = await AudioAnalyzer.create({ segmenter: opts });
  const found: AudioFinding[] = [];
  for (let i = 0; i < samples.length; i += 320) {
    found.push(...(await a.push({ t: i / 16000, samples: samples.subarray(i, i + 320) })));
  }
  found.push(...a.flush());
  await a.close();
  return found.flatMap((f) =>
    f.kind === 'utterance.end' ? [{ start: f.start, end: f.end, continuation: f.continuation }] : [],
  );
}

function assertSpans(got: Span[], truth: [number, number][], tol: number) {
  assert.equal(got.length, truth.length, `spans ${JSON.stringify(got)} vs truth ${JSON.stringify(truth)}`);
  got.forEach((g, i) => {
    assert.ok(Math.abs(g.start - truth[i][0]) <= tol, `start ${g.start} vs ${truth[i][0]}`);
    assert.ok(Math.abs(g.end - truth[i][1]) <= tol, `end ${g.end} vs ${truth[i][1]}`);
  });
}

describe('AudioAnalyzer (Silero VAD, streaming)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'microemo-audio-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('finds espeak-ng utterances within 100 ms of their true spans', {
    skip: !espeakAvailable() && 'espeak-ng not installed',
  }, async () => {
    const speech = makeSpeechWav(join(dir, 'gen'), {
      lead: 0.7,
      phrases: [
        ['The weather was lovely this morning.', 1.1],
        ['Then it started to rain quite heavily.', 0.9],
        ['We stayed inside.', 0.8],
      ],
    });
    assertSpans(await utterances(pcm16k(speech.path)), speech.spans, 0.1);
  });

  it('gives per-frame prosody and each utterance.end its prosody summary and cues', {
    skip: !espeakAvailable() && 'espeak-ng not installed',
  }, async () => {
    const speech = makeSpeechWav(join(dir, 'pros'), {
      lead: 0.5,
      phrases: [
        ['The weather was lovely this morning.', 0.9],
        ['Then it started to rain quite heavily.', 0.9],
        ['We stayed inside.', 0.9],
      ],
    });
    const frames: ProsodyFrame[] = [];
    const a = await AudioAnalyzer.create({ onProsodyFrames: (fs) => frames.push(...fs) });
    const pcm = pcm16k(speech.path);
    const found: AudioFinding[] = [];
    for (let i = 0; i < pcm.length; i += 320)
      found.push(...(await a.push({ t: i / 16000, samples: pcm.subarray(i, i + 320) })));
    found.push(...a.flush());
    await a.close();
    for (let i = 1; i < frames.length; i++) assert.ok(Math.abs(frames[i].t - frames[i - 1].t - 0.01) < 1e-9);
    assert.ok(frames.length >= Math.floor(pcm.length / 160) - 3, `${frames.length} frames`);
    const ends = found.flatMap((f) => (f.kind === 'utterance.end' ? [f] : []));
    assert.equal(ends.length, 3);
    // hand-counted syllables 9, 10, 4 over the true spans
    const syllables = [9, 10, 4];
    ends.forEach((e, i) => {
      const p = e.prosody;
      assert.ok(p, 'utterance.end carries prosody');
      utteranceProsodySchema.parse(p);
      // espeak-ng's default English voice speaks around 100 Hz
      assert.ok(p.f0Median! > 80 && p.f0Median! < 130, `F0 ${p.f0Median}`);
      assert.ok(p.voicedRatio > 0.5, `voiced ${p.voicedRatio}`);
      const truth = syllables[i] / (speech.spans[i][1] - speech.spans[i][0]);
      assert.ok(Math.abs(p.rate / truth - 1) < 0.3, `rate ${p.rate} vs ${truth}`);
      if (i === 0) assert.equal(p.relative.f0Pct, null);
      // the same voice again: close to its own baseline, so no pitch or loudness cue
      else {
        assert.ok(Math.abs(p.relative.f0Pct!) < 10 && Math.abs(p.relative.energyDb!) < 3, JSON.stringify(p.relative));
        assert.ok(!p.cues.some((c) => /^pitch (rose|fell)|^voice \d/.test(c)), JSON.stringify(p.cues));
      }
    });
  });

  it('finds nothing in digital silence or pink noise', async () => {
    const silence = new Float32Array(16000 * 5);
    assert.deepEqual(await utterances(silence), []);
    const noiseFile = join(dir, 'pink.wav');
    execFileSync(FFMPEG, [
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'anoisesrc=color=pink:amplitude=0.3:duration=5:seed=7',
      '-ar',
      '16000',
      noiseFile,
    ]);
    assert.deepEqual(await utterances(pcm16k(noiseFile)), []);
  });

  it('splits a 40 s monologue at the configured maximum, marking continuations', {
    skip: !espeakAvailable() && 'espeak-ng not installed',
  }, async () => {
    const text =
      'I am going to keep talking without stopping for a long time about nothing in particular and then some more';
    const speech = makeSpeechWav(join(dir, 'mono'), {
      lead: 0.3,
      phrases: Array.from({ length: 7 }, () => [text, 0.05] as [string, number]),
    });
    const spans = await utterances(pcm16k(speech.path), { maxUtteranceS: 15 });
    const total = speech.spans.at(-1)![1];
    assert.ok(total > 38, `monologue is ${total} s`);
    assert.ok(spans.length >= 3, JSON.stringify(spans));
    assert.equal(spans[0].continuation, false);
    assert.ok(
      spans.slice(1).every((s) => s.continuation),
      'later parts are continuations',
    );
    for (const s of spans.slice(0, -1))
      assert.ok(Math.abs(s.end - s.start - 15) < 0.05, `part of ${s.end - s.start} s`);
  });

  it('matches the marked speech of tts_en_with_silences.wav', {
    skip: skipWithoutMedia('speech/tts_en_with_silences.wav'),
  }, async () => {
    // SOURCES.md: speech at about 1.51–3.25 s and 5.64–7.58 s (confirmed here with ffmpeg silencedetect)
    const spans = await utterances(pcm16k(mediaPath('speech/tts_en_with_silences.wav')!));
    assertSpans(
      spans,
      [
        [1.51, 3.25],
        [5.64, 7.58],
      ],
      0.1,
    );
  });

  it('segments jfk.flac into its phrases', { skip: skipWithoutMedia('speech/jfk.flac') }, async () => {
    // Verified independently with `ffmpeg -af silencedetect=n=-25dB:d=0.2`: sound at 0.33–2.11, 3.29–4.31,
    // 5.42–7.56 and 8.19 s to the end ("And so my fellow Americans" / "ask not" / "what your country can do for
    // you" / "ask what you can do for your country"); the 0.63 s pause at 7.56 s is longer than the 0.55 s hangover.
    // After ~10.4 s the recording's crowd noise rises (VAD p 0.4–0.6 up to the cut at 11 s), so the last utterance
    // runs to the end of the file: only its start is held to the phrase boundary.
    const spans = await utterances(pcm16k(mediaPath('speech/jfk.flac')!));
    assert.equal(spans.length, 4, JSON.stringify(spans));
    assertSpans(
      spans.slice(0, 3),
      [
        [0.33, 2.2],
        [3.29, 4.35],
        [5.42, 7.56],
      ],
      0.15,
    );
    assert.ok(Math.abs(spans[3].start - 8.19) <= 0.15, `last phrase starts at ${spans[3].start}`);
    assert.ok(spans[3].end >= 10.2 && spans[3].end <= 11, `last phrase ends at ${spans[3].end}`);
  });

  for (const snr of [10, 20]) {
    const rel = `speech/noisy_audio_meeting_snr_${snr}.wav`;
    it(`finds the narration in meeting noise at ${snr} dB SNR`, { skip: skipWithoutMedia(rel) }, async () => {
      const samples = pcm16k(mediaPath(rel)!);
      const spans = await utterances(samples);
      const speechS = spans.reduce((s, x) => s + x.end - x.start, 0);
      // the clip is continuous narration over noise: most of it must be speech, in few long utterances
      assert.ok(spans.length >= 1 && spans.length <= 6, JSON.stringify(spans));
      assert.ok(speechS / (samples.length / 16000) > 0.6, `speech fraction ${speechS / (samples.length / 16000)}`);
    });
  }

  it('handles bad input with documented behaviour or a clear error', async () => {
    await assert.rejects(
      AudioAnalyzer.create({ sampleRate: 48000 }),
      (e: unknown) => e instanceof AudioInputError && /16000 Hz/.test(e.message),
    );
    const a = await AudioAnalyzer.create();
    assert.deepEqual(await a.push({ t: 0, samples: new Float32Array(0) }), []);
    const bad = new Float32Array(1024).fill(Number.NaN);
    bad.fill(3, 0, 100);
    const found = await a.push({ t: 0, samples: bad });
    assert.equal(found.filter((f) => f.kind === 'speaking').length, 2);
    assert.equal(a.stats.nonFiniteSamples, 924);
    assert.equal(a.stats.clippedSamples, 100);
    await assert.rejects(a.push({ t: 0.01, samples: new Float32Array(10) }), /goes back/);
    await a.close();
  });
});
