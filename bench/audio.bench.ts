/**
 * Audio benchmark: Silero VAD cost per 32 ms chunk (one thread), prosody cost per second of audio (frames, nuclei,
 * pulses in 20 ms pushes as from Opus; utterance summaries excluded, they run once per utterance), and how late
 * the end-of-utterance decision comes beyond the configured hangover (true speech end from the generated speech's
 * own sample counts).
 * Metrics: vad_chunk_ms_p50, vad_chunk_ms_p95, prosody_ms_per_s, end_decision_extra_ms.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AudioAnalyzer } from '../src/audio/audioAnalyzer.ts';
import { ProsodyAnalyzer } from '../src/audio/prosodyAnalyzer.ts';
import { SileroVad, VAD_CHUNK } from '../src/audio/sileroVad.ts';
import { FFMPEG, makeSpeechWav } from '../test/harness/clips.ts';
import { median, percentile } from './lib/stats.ts';

const dir = mkdtempSync(join(tmpdir(), 'microemo-bench-audio-'));
try {
  const speech = makeSpeechWav(dir, {
    lead: 0.6,
    phrases: [
      ['Good morning, everyone, and thank you for coming.', 1.2],
      ['Today we will look at the quarterly results.', 1.0],
      ['Sales went up in every region.', 1.5],
      ['Questions are welcome at the end.', 1.0],
    ],
  });
  const buf = execFileSync(FFMPEG, ['-v', 'error', '-i', speech.path, '-ac', '1', '-ar', '16000', '-f', 'f32le', '-']);
  const pcm = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));

  const vad = await SileroVad.load({ threads: 1 });
  const costs: number[] = [];
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i + VAD_CHUNK <= pcm.length; i += VAD_CHUNK) {
      const t0 = performance.now();
      await vad.probability(pcm.subarray(i, i + VAD_CHUNK));
      if (round > 0) costs.push(performance.now() - t0);
    }
  }
  await vad.close();
  console.log(
    `VAD per 32 ms chunk: p50 ${median(costs).toFixed(3)} ms, p95 ${percentile(costs, 95).toFixed(3)} ms (${costs.length} chunks, 1 thread)`,
  );

  const seconds = pcm.length / 16000;
  const prosodyMsPerS: number[] = [];
  for (let round = 0; round < 4; round++) {
    const pa = new ProsodyAnalyzer();
    const t0 = performance.now();
    for (let i = 0; i < pcm.length; i += 320) pa.push(pcm.subarray(i, i + 320), i / 16000);
    if (round > 0) prosodyMsPerS.push((performance.now() - t0) / seconds);
  }
  const prosodyCost = median(prosodyMsPerS);
  console.log(
    `prosody: ${prosodyCost.toFixed(2)} ms per second of audio (median of 3 runs over ${seconds.toFixed(1)} s)`,
  );

  const analyzer = await AudioAnalyzer.create();
  const hangover = analyzer.segmenter.options.hangoverS;
  const decided: number[] = [];
  for (let i = 0; i < pcm.length; i += 320) {
    for (const f of await analyzer.push({ t: i / 16000, samples: pcm.subarray(i, i + 320) })) {
      if (f.kind === 'utterance.end') decided.push(f.t);
    }
  }
  await analyzer.close();
  const extras = speech.spans.slice(0, decided.length).map(([, end], i) => (decided[i] - end - hangover) * 1000);
  for (const [i, e] of extras.entries()) {
    console.log(
      `utterance ${i + 1}: true end ${speech.spans[i][1].toFixed(3)} s, decided ${decided[i].toFixed(3)} s, beyond hangover ${e.toFixed(0)} ms`,
    );
  }
  const extra = Math.max(...extras);
  console.log(
    `end decision beyond the ${hangover * 1000} ms hangover: max ${extra.toFixed(0)} ms (target ≤ one 32 ms chunk)`,
  );
  console.log(
    JSON.stringify({
      suite: 'audio',
      metrics: {
        vad_chunk_ms_p50: Number(median(costs).toFixed(4)),
        vad_chunk_ms_p95: Number(percentile(costs, 95).toFixed(4)),
        prosody_ms_per_s: Number(prosodyCost.toFixed(3)),
        end_decision_extra_ms: Number(extra.toFixed(1)),
        utterances_found: decided.length,
        utterances_true: speech.spans.length,
      },
    }),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
