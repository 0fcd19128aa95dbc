/**
 * Labelled data for `microemo train` / `microemo eval`: labels.csv reading, per-clip feature extraction and its
 * cache.
 *
 * `ClipFeatureExtractor` is the seam between the model's training/evaluation code and the media stack: the real
 * one (`MediaClipExtractor`) runs the clip through the live pipeline in file mode (vision worker, streaming VAD) with
 * a recording emotion branch, so training sees exactly the tokens the live model sees. Features of the clip's main face (the track with most frames) are cached once per clip under
 * `--cache` (default $XDG_CACHE_HOME/microemo/features), keyed by the file's size, mtime and the extractor version.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AudioAnalyzer } from '../audio/audioAnalyzer.ts';
import type { EmotionClass } from '../events/schema.ts';
import type { AudioChunk } from '../ingest/mediaSource.ts';
import type { ClipFeatures } from '../model/coreModel.ts';
import { classIndex, normalizeLabel } from '../model/labels.ts';
import { DEFAULT_MODELS_DIR } from '../model/modelBuild.ts';
import { type ModelOptions, modelOptions } from '../model/modelOptions.ts';
import { ProsodyTokenizer } from '../model/prosodyTokens.ts';
import { globalInput, mainGaze, type TimedToken } from '../model/tokens.ts';
import type { LabeledClip } from '../model/trainer.ts';
import { analyzeFile } from '../pipeline/analyzeFile.ts';
import type { AudioFinding, EmotionBranch, EmotionPayload, VisionResult } from '../pipeline/branches.ts';
import { audioBranch } from '../pipeline/branchFactory.ts';
import { readDataCsv } from './dataCsv.ts';

export interface ClipFeatureExtractor {
  /** changes whenever the features would change (invalidates the cache) */
  readonly version: string;
  extract(path: string, onProgress?: (t: number, durationS: number | null) => void): Promise<ClipFeatures>;
  close(): Promise<void>;
}

export interface LabelRow {
  file: string;
  label: EmotionClass;
  speaker?: string;
}

/** labels.csv of a data folder: header with `file` and `label` (or `emotion`), optional `speaker`. */
export function readLabels(dir: string): { rows: LabelRow[]; skipped: string[] } {
  const {
    path: csv,
    headerLine,
    header,
    rows: lines,
  } = readDataCsv(dir, 'labels.csv', 'a header with file and label or emotion, optional speaker');
  if (headerLine === '') throw new Error(`${csv} is empty`);
  const fi = header.indexOf('file');
  const li = header.indexOf('label') >= 0 ? header.indexOf('label') : header.indexOf('emotion');
  const si = header.indexOf('speaker');
  if (fi < 0 || li < 0) throw new Error(`${csv}: header needs "file" and "label" (or "emotion"), got: ${headerLine}`);
  const rows: LabelRow[] = [];
  const skipped: string[] = [];
  for (const { cells } of lines) {
    const file = cells[fi];
    const label = normalizeLabel(cells[li] ?? '');
    if (!file || !label) {
      skipped.push(`${file || '(no file)'}: unknown label "${cells[li] ?? ''}"`);
      continue;
    }
    if (!existsSync(join(dir, file))) {
      skipped.push(`${file}: file missing`);
      continue;
    }
    rows.push({ file, label, speaker: si >= 0 && cells[si] ? cells[si] : undefined });
  }
  return { rows, skipped };
}

function fileHash(path: string): string {
  return createHash('sha1').update(readFileSync(path)).digest('hex').slice(0, 12);
}

let codeHash: string | undefined;
/**
 * A hash of everything that shapes the extracted tokens (the media, audio, vision and pipeline sources and the
 * converted models' manifest), so a cache entry is never reused after any of them changed.
 */
export function extractionCodeHash(): string {
  if (codeHash) return codeHash;
  const h = createHash('sha1');
  const src = fileURLToPath(new URL('..', import.meta.url));
  for (const dir of ['ingest', 'audio', 'vision', 'pipeline', 'model']) {
    for (const f of readdirSync(join(src, dir)).sort())
      if (f.endsWith('.ts')) h.update(f).update(readFileSync(join(src, dir, f)));
  }
  const manifest = join(DEFAULT_MODELS_DIR, 'manifest.json');
  if (existsSync(manifest)) h.update(readFileSync(manifest));
  codeHash = h.digest('hex').slice(0, 12);
  return codeHash;
}

export function defaultCacheDir(): string {
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'microemo', 'features');
}

interface CachedTokens {
  t: number[];
  data: string;
  dim: number;
}
function packTokens(list: readonly TimedToken[]): CachedTokens {
  const dim = list[0]?.token.length ?? 0;
  const f = new Float32Array(list.length * dim);
  for (const [i, x] of list.entries()) f.set(x.token, i * dim);
  return { t: list.map((x) => x.t), dim, data: Buffer.from(f.buffer).toString('base64') };
}
function unpackTokens(c: CachedTokens): TimedToken[] {
  const buf = Buffer.from(c.data, 'base64');
  const f = new Float32Array(buf.byteLength / 4);
  new Uint8Array(f.buffer).set(buf);
  return c.t.map((t, i) => ({ t, token: f.slice(i * c.dim, (i + 1) * c.dim) }));
}

export function cacheKey(path: string, version: string): string {
  const st = statSync(path);
  return createHash('sha1')
    .update(`${resolve(path)}|${st.size}|${st.mtimeMs}|${version}`)
    .digest('hex')
    .slice(0, 16);
}

/** Features of a clip from the cache, or extracted (and cached). */
export async function clipFeatures(
  path: string,
  extractor: ClipFeatureExtractor,
  cacheDir: string | null,
  onProgress?: (t: number, d: number | null) => void,
): Promise<{ features: ClipFeatures; cached: boolean }> {
  const file = cacheDir ? join(cacheDir, `${basename(path)}.${cacheKey(path, extractor.version)}.json`) : null;
  if (file && existsSync(file)) {
    try {
      const j = JSON.parse(readFileSync(file, 'utf8'));
      return {
        cached: true,
        features: {
          file: j.file,
          durationS: j.durationS,
          utterances: j.utterances,
          locals: unpackTokens(j.locals),
          globals: unpackTokens(j.globals),
          prosody: unpackTokens(j.prosody),
        },
      };
    } catch {
      // unreadable cache entry: extract again
    }
  }
  const features = await extractor.extract(path, onProgress);
  if (file && cacheDir) {
    mkdirSync(cacheDir, { recursive: true });
    writeFileSync(
      file,
      JSON.stringify({
        file: features.file,
        durationS: features.durationS,
        utterances: features.utterances,
        locals: packTokens(features.locals),
        globals: packTokens(features.globals),
        prosody: packTokens(features.prosody),
      }),
    );
  }
  return { features, cached: false };
}

export type CachedClip = LabeledClip & { file: string };

/** Every labelled clip of a folder as features (extracting what the cache lacks). */
export async function loadDataset(
  dir: string,
  extractor: ClipFeatureExtractor,
  opts: { cacheDir: string | null; onClip?: (i: number, n: number, file: string, cached: boolean) => void } = {
    cacheDir: null,
  },
): Promise<{ clips: CachedClip[]; skipped: string[] }> {
  const { rows, skipped } = readLabels(dir);
  if (rows.length === 0)
    throw new Error(`no usable rows in ${join(dir, 'labels.csv')}${skipped.length ? ` (${skipped[0]})` : ''}`);
  const clips: CachedClip[] = [];
  for (const [i, r] of rows.entries()) {
    try {
      const { features, cached } = await clipFeatures(join(dir, r.file), extractor, opts.cacheDir);
      opts.onClip?.(i + 1, rows.length, r.file, cached);
      clips.push({ file: r.file, features, label: classIndex(r.label), speaker: r.speaker });
    } catch (err) {
      skipped.push(`${r.file}: ${(err as Error).message}`);
      opts.onClip?.(i + 1, rows.length, r.file, false);
    }
  }
  return { clips, skipped };
}

/**
 * The tokens of a clip as the live pipeline produces them: an emotion branch that only records (local tokens per
 * track, global tokens, prosody tokens, utterance spans) and answers nothing.
 */
class TokenCollector implements EmotionBranch {
  readonly perTrack = new Map<number, TimedToken[]>();
  readonly globals: TimedToken[] = [];
  readonly prosody: TimedToken[] = [];
  readonly utterances: { start: number; end: number }[] = [];
  private readonly tokenizer = new ProsodyTokenizer();
  private speech = 0;

  constructor(private readonly o: ModelOptions) {}

  onVision(r: VisionResult): void {
    for (const l of r.localTokens) {
      const list = this.perTrack.get(l.trackId) ?? [];
      list.push({ t: r.t, token: l.token });
      this.perTrack.set(l.trackId, list);
    }
    if (r.globalToken) {
      this.globals.push(globalInput(r.t, r.globalToken, this.o, mainGaze(r.faces), r.imageEmbedding ?? undefined));
    }
  }
  onAudio(f: AudioFinding): void {
    if (f.kind === 'speaking') this.speech = f.probability;
  }
  onPcm(c: AudioChunk): void {
    for (const tok of this.tokenizer.push(c.samples, c.t, this.speech)) this.prosody.push(tok);
  }
  async due(): Promise<EmotionPayload[]> {
    return [];
  }
  async finalize(u: { start: number; end: number }): Promise<EmotionPayload[]> {
    this.utterances.push({ start: u.start, end: u.end });
    return [];
  }
  async close(): Promise<EmotionPayload[]> {
    return [];
  }
}

/** The real extractor: the file runs through the live pipeline (file mode) with a TokenCollector as its model. */
export class MediaClipExtractor implements ClipFeatureExtractor {
  readonly version: string;

  constructor(
    private readonly opts: { modelsDir?: string; longSide?: number; ffmpegPath?: string; imageEncoder?: string } = {},
  ) {
    this.version = `pipeline-${extractionCodeHash()}${opts.imageEncoder ? `+${fileHash(opts.imageEncoder)}` : ''}`;
  }

  async extract(path: string, onProgress?: (t: number, d: number | null) => void): Promise<ClipFeatures> {
    let collector: TokenCollector | undefined;
    const r = await analyzeFile(path, {
      streamId: basename(path),
      room: 'train',
      longSide: this.opts.longSide,
      modelsDir: this.opts.modelsDir,
      ffmpegPath: this.opts.ffmpegPath,
      imageEncoder: this.opts.imageEncoder,
      branches: (o) => {
        const c = new TokenCollector(modelOptions(o));
        collector = c;
        return { audio: () => audioBranch(AudioAnalyzer.create()), emotion: () => c };
      },
      onEvent: () => {},
      onProgress,
    });
    if (r.endReason !== 'eof' || !collector) {
      throw new Error(r.message ?? `could not decode ${path} (${r.endReason})`);
    }
    let main: TimedToken[] = [];
    for (const list of collector.perTrack.values()) if (list.length > main.length) main = list;
    return {
      file: basename(path),
      durationS: r.durationS ?? 0,
      locals: main,
      globals: collector.globals,
      prosody: collector.prosody,
      utterances: collector.utterances,
    };
  }

  async close(): Promise<void> {}
}
