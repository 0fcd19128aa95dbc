/**
 * The default per-stream branches: the streaming VAD/segmenter for audio, and the core model (encoder, Q-Former,
 * head) for emotions, in the model worker (one for the process; a stage per stream there).
 */
import type { AudioAnalyzer } from '../audio/audioAnalyzer.ts';
import type { SegmenterOptionsInput } from '../audio/utteranceSegmenter.ts';
import type { UtteranceEmotionOptionsInput } from '../model/utteranceEmotion.ts';
import type { AudioBranch, AudioFinding } from './branches.ts';
import type { EmotionModelHost } from './modelEmotionBranch.ts';
import type { BranchFactory } from './pipelineManager.ts';

/**
 * An in-process AudioBranch over an analyzer that is still loading its model (the first pushes wait for it): for
 * feature extraction and tests; live streams use the stream worker's (EmotionModelHost.audioBranch).
 */
export function audioBranch(analyzer: Promise<AudioAnalyzer>): AudioBranch {
  let ready: AudioAnalyzer | undefined;
  void analyzer.then((a) => {
    ready = a;
  });
  return {
    async push(chunk): Promise<AudioFinding[]> {
      return (ready ?? (await analyzer)).push(chunk);
    },
    flush: async () => ready?.flush() ?? [],
    async close() {
      await (await analyzer.catch(() => undefined))?.close();
    },
  };
}

export function defaultBranches(
  model: EmotionModelHost,
  opts: {
    segmenter?: SegmenterOptionsInput;
    emotion?: UtteranceEmotionOptionsInput;
    /** 'file' never drops frames for the model (reproducible runs); 'live' bounds the model's queue */
    mode?: 'live' | 'file';
  } = {},
): BranchFactory {
  return {
    audio: (info) => model.audioBranch(info.streamId, { segmenter: opts.segmenter }),
    emotion: (info) => model.branch(info.streamId, opts.emotion, { mode: opts.mode ?? 'live' }),
  };
}
