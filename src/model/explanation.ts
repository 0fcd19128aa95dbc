/**
 * Cues and explanations of an emotion: the strongest facial actions of the span (from the AU intensities inside
 * the local tokens) and the voice relative to the stream's own baseline (from prosody frames), each with its time,
 * turned into one templated sentence ("angry (72 %): a 240 ms brow lowering (AU4+AU7) at 12.4 s while pitch rose
 * 30 % above baseline."). Optionally an OpenAI-compatible chat endpoint rewrites the cues into prose
 * (`LlmExplainer`); it is off by default and never delays an event beyond its wait budget.
 */
import { z } from 'zod';
import { AU_NAMES, type AuName } from '../events/schema.ts';

/** Facial actions cited in explanations: the AUs that define each, and a name a reader understands. */
export const FACIAL_ACTIONS: readonly { name: string; aus: readonly AuName[]; weight: number }[] = [
  { name: 'brow lowering', aus: ['AU4', 'AU7'], weight: 1.2 },
  { name: 'brow raise', aus: ['AU1', 'AU2'], weight: 1.1 },
  { name: 'upper-lid raise', aus: ['AU5'], weight: 1.1 },
  { name: 'smile', aus: ['AU6', 'AU12'], weight: 1 },
  { name: 'lip-corner depression', aus: ['AU15'], weight: 1.1 },
  { name: 'nose wrinkle', aus: ['AU9'], weight: 1 },
  { name: 'lip stretch', aus: ['AU20'], weight: 0.8 },
  { name: 'lip press', aus: ['AU23'], weight: 0.8 },
  { name: 'jaw drop', aus: ['AU26'], weight: 0.6 },
];

export interface VisualCue {
  action: string;
  /** the action's AUs that were active at the peak */
  aus: AuName[];
  onset: number;
  peak: number;
  durationMs: number;
  intensity: number;
  text: string;
}

export interface AcousticCue {
  kind: 'pitch' | 'loudness';
  /** relative change: pitch in % of the baseline F0, loudness in dB */
  change: number;
  at: number;
  text: string;
}

export interface AuSample {
  t: number;
  /** AU intensities, AU_NAMES order */
  au: ArrayLike<number>;
}

const fmtT = (t: number) => `${t.toFixed(1)} s`;

/**
 * The strongest facial actions in a span: per action, the mean intensity of its AUs per frame (AU intensities are
 * already relative to the track's neutral baseline); an action counts where it exceeds max(0.25, its span's 20th
 * percentile + 0.15), so a sustained action is cited as well as a brief one; the run around its peak gives onset
 * and duration.
 */
export function visualCues(samples: readonly AuSample[], top = 2): VisualCue[] {
  if (samples.length === 0) return [];
  const idx = (a: AuName) => AU_NAMES.indexOf(a);
  const cues: (VisualCue & { score: number })[] = [];
  for (const act of FACIAL_ACTIONS) {
    const series = samples.map((s) => act.aus.reduce((acc, a) => acc + s.au[idx(a)], 0) / act.aus.length);
    const sorted = [...series].sort((a, b) => a - b);
    const low = sorted[Math.floor(sorted.length * 0.2)];
    const thr = Math.max(0.25, low + 0.15);
    let pk = 0;
    for (let i = 1; i < series.length; i++) if (series[i] > series[pk]) pk = i;
    if (series[pk] < thr) continue;
    let a = pk;
    let b = pk;
    while (a > 0 && series[a - 1] >= thr) a--;
    while (b < series.length - 1 && series[b + 1] >= thr) b++;
    const dt = samples.length > 1 ? (samples[samples.length - 1].t - samples[0].t) / (samples.length - 1) : 1 / 30;
    const durationMs = Math.round((samples[b].t - samples[a].t + dt) * 1000);
    const aus = act.aus.filter((x) => samples[pk].au[idx(x)] >= 0.2);
    const auText = (aus.length ? aus : act.aus).join('+');
    cues.push({
      action: act.name,
      aus: aus.length ? aus : [...act.aus],
      onset: samples[a].t,
      peak: samples[pk].t,
      durationMs,
      intensity: Math.round(series[pk] * 100) / 100,
      text: `a ${durationMs} ms ${act.name} (${auText}) at ${fmtT(samples[pk].t)}`,
      score: series[pk] * act.weight,
    });
  }
  cues.sort((x, y) => y.score - x.score);
  return cues.slice(0, top).map(({ score: _s, ...c }) => c);
}

export interface VoiceFrame {
  t: number;
  /** Hz, 0 unvoiced */
  f0: number;
  /** dBFS */
  db: number;
}

/** Pitch and loudness of the span's voiced frames against the stream baseline (F0 Hz, level dBFS). */
export function acousticCues(
  frames: readonly VoiceFrame[],
  baseline: { f0: number | null; db: number | null },
): AcousticCue[] {
  const voiced = frames.filter((f) => f.f0 > 0);
  const out: AcousticCue[] = [];
  if (voiced.length >= 3 && baseline.f0) {
    const mean = voiced.reduce((a, f) => a + f.f0, 0) / voiced.length;
    const change = Math.round(((mean - baseline.f0) / baseline.f0) * 100);
    const peak = voiced.reduce((a, f) => (f.f0 > a.f0 ? f : a));
    if (Math.abs(change) >= 8) {
      out.push({
        kind: 'pitch',
        change,
        at: peak.t,
        text: change > 0 ? `pitch rose ${change} % above baseline` : `pitch fell ${-change} % below baseline`,
      });
    }
  }
  if (voiced.length >= 3 && baseline.db !== null) {
    const mean = voiced.reduce((a, f) => a + f.db, 0) / voiced.length;
    const change = Math.round((mean - baseline.db) * 10) / 10;
    const peak = voiced.reduce((a, f) => (f.db > a.db ? f : a));
    if (Math.abs(change) >= 3) {
      out.push({
        kind: 'loudness',
        change,
        at: peak.t,
        text:
          change > 0
            ? `the voice was ${change.toFixed(0)} dB louder than usual`
            : `the voice was ${(-change).toFixed(0)} dB quieter than usual`,
      });
    }
  }
  return out;
}

/** The templated sentence citing the strongest cues with their times. */
export function explain(
  label: string,
  prob: number,
  span: { start: number; end: number },
  visual: readonly VisualCue[],
  acoustic: readonly AcousticCue[],
): string {
  const head = `${label} (${Math.round(prob * 100)} %)`;
  const v = visual.map((c) => c.text);
  const a = acoustic.map((c) => c.text);
  let body: string;
  if (v.length && a.length) body = `${v.join(' and ')} while ${a.join(' and ')}`;
  else if (v.length) body = v.join(' and ');
  else if (a.length) body = `no marked facial action; ${a.join(' and ')}`;
  else body = `steady expression over ${(span.end - span.start).toFixed(1)} s from ${fmtT(span.start)}`;
  return `${head}: ${body}.`;
}

export const llmOptionsSchema = z.object({
  enabled: z.boolean().default(false),
  /** OpenAI-compatible base URL, e.g. http://localhost:8000/v1 (POST {url}/chat/completions) */
  url: z.string().url().optional(),
  model: z.string().default('gpt-4o-mini'),
  apiKey: z.string().optional(),
  /** the request is aborted after this long */
  timeoutMs: z.number().int().min(1).default(2000),
  /** an event waits at most this long for the rewrite, then goes out with the templated explanation */
  waitMs: z.number().int().min(0).default(100),
});
export type LlmOptions = z.infer<typeof llmOptionsSchema>;
export type LlmOptionsInput = z.input<typeof llmOptionsSchema>;

/** Rewrites cues into prose through an OpenAI-compatible chat endpoint; any failure yields the templated text. */
export class LlmExplainer {
  readonly options: LlmOptions;
  failures = 0;

  constructor(
    options: LlmOptionsInput = {},
    private readonly fetchImpl: typeof fetch = fetch,
  ) {
    this.options = llmOptionsSchema.parse(options);
  }

  get active(): boolean {
    return this.options.enabled && !!this.options.url;
  }

  /** The explanation to publish: the rewrite if it arrives within waitMs, else `templated`. Never throws. */
  async explain(templated: string, cues: { visual: string[]; acoustic: string[] }, label: string): Promise<string> {
    if (!this.active) return templated;
    let timer: NodeJS.Timeout | undefined;
    const wait = new Promise<string>((r) => {
      timer = setTimeout(() => r(templated), this.options.waitMs);
    });
    try {
      return await Promise.race([this.request(cues, label).then((t) => t ?? templated), wait]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async request(cues: { visual: string[]; acoustic: string[] }, label: string): Promise<string | null> {
    const o = this.options;
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), o.timeoutMs);
    try {
      const res = await this.fetchImpl(`${(o.url ?? '').replace(/\/$/, '')}/chat/completions`, {
        method: 'POST',
        signal: ac.signal,
        headers: { 'content-type': 'application/json', ...(o.apiKey ? { authorization: `Bearer ${o.apiKey}` } : {}) },
        body: JSON.stringify({
          model: o.model,
          temperature: 0.2,
          max_tokens: 80,
          messages: [
            {
              role: 'system',
              content:
                'Rewrite the observed cues into one plain sentence explaining the emotion. Keep every time and number. Invent nothing.',
            },
            { role: 'user', content: JSON.stringify({ emotion: label, visual: cues.visual, acoustic: cues.acoustic }) },
          ],
        }),
      });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const j = (await res.json()) as { choices?: { message?: { content?: string } }[] };
      const text = j.choices?.[0]?.message?.content?.trim();
      if (!text) throw new Error('empty completion');
      return text.slice(0, 500);
    } catch {
      this.failures++;
      return null;
    } finally {
      clearTimeout(timer);
    }
  }
}
