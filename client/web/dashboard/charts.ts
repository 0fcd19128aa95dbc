/**
 * The dashboard's timelines, drawn with chart.js on a linear media-time axis (seconds):
 * frame expression probabilities, valence/arousal (per frame as lines, per utterance as points), and a lane
 * chart of utterance spans and micro-expressions (floating bars from onset to offset).
 */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  type ChartDataset,
  Decimation,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from 'chart.js';
import type { MicroEmoEvent } from '../../sdk/index.ts';
import { EMOTION_COLOURS, EXPRESSION_CLASSES } from '../common/labels.ts';

Chart.register(
  BarController,
  Decimation,
  BarElement,
  CategoryScale,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
);
Chart.defaults.color = '#9aa4b1';
Chart.defaults.borderColor = '#2c333d';

type Point = { x: number; y: number };
type Span = { x: [number, number]; y: string };

const LANES = ['utterances', 'micro', 'macro'];
/** a live chart keeps this many seconds, so hours of streaming cost no more than a minute or two */
const LIVE_WINDOW_S = 120;

export class Timelines {
  readonly probs: Chart<'line', Point[]>;
  readonly va: Chart<'line', Point[]>;
  readonly timeline: Chart<'bar', Span[]>;
  private readonly openUtterances = new Map<string, number>();
  /** finished utterances; the chart shows these plus the ones still going */
  private spans: Span[] = [];
  private pending = false;
  private live = false;
  private lastT = 0;

  constructor(canvases: { probs: HTMLCanvasElement; va: HTMLCanvasElement; timeline: HTMLCanvasElement }) {
    const x = { type: 'linear' as const, title: { display: true, text: 'media time (s)' } };
    const common = { animation: false as const, responsive: true, maintainAspectRatio: false, parsing: false as const };
    // hours of a recorded stream are thousands of points per line: draw a representative thousand
    const decimation = { enabled: true, algorithm: 'lttb' as const, samples: 1000 };
    this.probs = new Chart<'line', Point[]>(canvases.probs, {
      type: 'line',
      data: {
        datasets: EXPRESSION_CLASSES.map((c) => ({
          label: c,
          data: [],
          borderColor: EMOTION_COLOURS[c],
          backgroundColor: EMOTION_COLOURS[c],
          pointRadius: 0,
          borderWidth: 1.5,
        })),
      },
      options: {
        ...common,
        plugins: { decimation },
        scales: { x, y: { min: 0, max: 1, title: { display: true, text: 'frame expression probability' } } },
      },
    });
    const points = { showLine: false, pointRadius: 5, pointStyle: 'rectRot' as const };
    const va: ChartDataset<'line', Point[]>[] = [
      { label: 'valence (frame)', data: [], borderColor: '#4fc3f7', pointRadius: 0, borderWidth: 1.5 },
      { label: 'arousal (frame)', data: [], borderColor: '#ffb74d', pointRadius: 0, borderWidth: 1.5 },
      { label: 'valence (utterance)', data: [], backgroundColor: '#4fc3f7', borderColor: '#4fc3f7', ...points },
      { label: 'arousal (utterance)', data: [], backgroundColor: '#ffb74d', borderColor: '#ffb74d', ...points },
    ];
    this.va = new Chart<'line', Point[]>(canvases.va, {
      type: 'line',
      data: { datasets: va },
      options: {
        ...common,
        plugins: { decimation },
        scales: { x, y: { min: -1, max: 1, title: { display: true, text: 'valence / arousal' } } },
      },
    });
    this.timeline = new Chart<'bar', Span[]>(canvases.timeline, {
      type: 'bar',
      data: {
        labels: LANES,
        datasets: [
          { label: 'utterance', data: [], backgroundColor: '#00e676', barPercentage: 0.8 },
          { label: 'micro-expression', data: [], backgroundColor: '#ff4081', barPercentage: 0.8, minBarLength: 3 },
        ],
      },
      options: {
        ...common,
        parsing: undefined,
        indexAxis: 'y',
        // stacked: both datasets share a lane per category instead of sitting side by side in it
        scales: { x: { ...x, type: 'linear' }, y: { type: 'category', stacked: true, ticks: { autoSkip: false } } },
      },
    });
  }

  /** Clears every chart; `live` makes the charts keep a sliding window and redraw as events arrive. */
  reset(live: boolean): void {
    this.live = live;
    this.lastT = 0;
    this.openUtterances.clear();
    this.spans = [];
    for (const chart of [this.probs, this.va, this.timeline] as Chart[]) {
      // assigned, not truncated: a decimated dataset's `data` is a getter over a copy
      for (const ds of chart.data.datasets) ds.data = [];
      // live lines grow point by point into a bounded window: decimation only pays (and only stays correct
      // under in-place pushes) for a recording drawn once
      const decimation = chart.options.plugins?.decimation;
      if (decimation) decimation.enabled = !live;
      chart.update('none');
    }
  }

  add(e: MicroEmoEvent): void {
    this.lastT = Math.max(this.lastT, e.t);
    switch (e.type) {
      case 'face.frame': {
        // one line per class: the largest face is the one the charts follow
        const face = e.faces.reduce<(typeof e.faces)[number] | undefined>(
          (a, f) => (!a || f.box.w * f.box.h > a.box.w * a.box.h ? f : a),
          undefined,
        );
        if (!face) return;
        EXPRESSION_CLASSES.forEach((c, i) => {
          this.probs.data.datasets[i]?.data.push({ x: e.t, y: face.expression[c] });
        });
        this.va.data.datasets[0]?.data.push({ x: e.t, y: face.valence });
        this.va.data.datasets[1]?.data.push({ x: e.t, y: face.arousal });
        break;
      }
      case 'emotion':
        if (!e.final) return;
        this.va.data.datasets[2]?.data.push({ x: (e.start + e.end) / 2, y: e.valence });
        this.va.data.datasets[3]?.data.push({ x: (e.start + e.end) / 2, y: e.arousal });
        break;
      case 'utterance.start':
        this.openUtterances.set(e.utteranceId, e.t);
        break;
      case 'utterance.end':
        this.openUtterances.delete(e.utteranceId);
        this.spans.push({ x: [e.start, e.end], y: 'utterances' });
        break;
      case 'microexpression':
        this.timeline.data.datasets[1]?.data.push({ x: [e.onset, Math.max(e.offset, e.onset)], y: e.kind });
        break;
      default:
        return;
    }
    if (this.live) this.schedule();
  }

  /** Redraws at most once per animation frame however many events arrived. */
  private schedule(): void {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.redraw();
    });
  }

  redraw(): void {
    if (this.live) {
      const from = this.lastT - LIVE_WINDOW_S;
      for (const chart of [this.probs, this.va] as Chart<'line', Point[]>[])
        for (const ds of chart.data.datasets) {
          const drop = ds.data.findIndex((p) => p.x >= from);
          if (drop > 0) ds.data.splice(0, drop);
        }
      this.spans = this.spans.filter((s) => s.x[1] >= from);
      const micro = this.timeline.data.datasets[1];
      if (micro) micro.data = micro.data.filter((s) => s.x[1] >= from);
    }
    const utterances = this.timeline.data.datasets[0];
    // an utterance still going is drawn up to the latest event
    if (utterances)
      utterances.data = [
        ...this.spans,
        ...[...this.openUtterances.values()].map((start): Span => ({ x: [start, this.lastT], y: 'utterances' })),
      ];
    // one time axis for the three charts, so that a span lines up with the curves above it
    const min = this.live ? Math.max(0, this.lastT - LIVE_WINDOW_S) : 0;
    for (const chart of [this.probs, this.va, this.timeline] as Chart[]) {
      const xScale = chart.options.scales?.x;
      if (xScale) Object.assign(xScale, { min, max: Math.max(min + 1, this.lastT) });
      chart.update('none');
    }
  }
}
