/**
 * The default per-stream branches: the streaming VAD/segmenter for audio, and the span emotion branch over the
 * frame ring buffer.
 */
import { AudioAnalyzer } from '../audio/audioAnalyzer.ts';
import type { SegmenterOptionsInput } from '../audio/utteranceSegmenter.ts';
import type { AudioBranch, AudioFinding } from './branches.ts';
import { type EmotionBranchOptions, SpanEmotionBranch, type SpanScorer } from './emotionBranch.ts';
import type { BranchFactory } from './pipelineManager.ts';

/** An AudioBranch over an analyzer that is still loading its model (the first pushes wait for it). */
export function audioBranch(analyzer: Promise<AudioAnalyzer>): AudioBranch {
  let ready: AudioAnalyzer | undefined;
  void analyzer.then((a) => {
    ready = a;
  });
  return {
    async push(chunk): Promise<AudioFinding[]> {
      return (ready ?? (await analyzer)).push(chunk);
    },
    flush: () => ready?.flush() ?? [],
    async close() {
      await (await analyzer.catch(() => undefined))?.close();
    },
  };
}

export function defaultBranches(
  opts: { segmenter?: SegmenterOptionsInput; emotion?: Partial<EmotionBranchOptions>; scorer?: SpanScorer } = {},
): BranchFactory {
  return {
    audio: () => audioBranch(AudioAnalyzer.create({ segmenter: opts.segmenter })),
    emotion: (_info, frames) => new SpanEmotionBranch(frames, opts.scorer, opts.emotion),
  };
}
