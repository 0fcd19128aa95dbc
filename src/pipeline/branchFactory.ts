/**
 * The default per-stream branches: the streaming VAD/segmenter for audio, and the core model (encoder, Q-Former,
 * head) for emotions. The model's sessions are shared by every stream; its per-stream state lives in the branch.
 */
import { AudioAnalyzer } from '../audio/audioAnalyzer.ts';
import type { SegmenterOptionsInput } from '../audio/utteranceSegmenter.ts';
import type { CoreModel } from '../model/coreModel.ts';
import type { UtteranceEmotionOptionsInput } from '../model/utteranceEmotion.ts';
import type { AudioBranch, AudioFinding } from './branches.ts';
import { ModelEmotionBranch } from './modelEmotionBranch.ts';
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
  model: CoreModel,
  opts: { segmenter?: SegmenterOptionsInput; emotion?: UtteranceEmotionOptionsInput } = {},
): BranchFactory {
  return {
    audio: () => audioBranch(AudioAnalyzer.create({ segmenter: opts.segmenter })),
    emotion: () => new ModelEmotionBranch(model, opts.emotion),
  };
}
