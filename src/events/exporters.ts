/**
 * Exports of a recorded stream: WebVTT with one cue per utterance (its final emotion and descriptors), and CSV
 * with one row per emotion event.
 */
import type { EventOf, MicroEmoEvent } from './schema.ts';

function vttTime(s: number): string {
  const ms = Math.round(s * 1000);
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const sec = Math.floor((ms % 60_000) / 1000);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(h)}:${pad(m)}:${pad(sec)}.${pad(ms % 1000, 3)}`;
}

export function toWebVtt(events: readonly MicroEmoEvent[]): string {
  const finals = new Map<string, EventOf<'emotion'>>();
  for (const e of events) if (e.type === 'emotion' && e.final && e.utteranceId) finals.set(e.utteranceId, e);
  const cues: string[] = ['WEBVTT', ''];
  for (const u of events) {
    if (u.type !== 'utterance.end') continue;
    const em = finals.get(u.utteranceId);
    const words = em?.descriptors.slice(0, 3).map((d) => d.word) ?? [];
    const text = em
      ? `${em.label} (${Math.round(em.confidence * 100)} %)${words.length ? ` — ${words.join(', ')}` : ''}`
      : 'no emotion estimate';
    cues.push(u.utteranceId, `${vttTime(u.start)} --> ${vttTime(Math.max(u.end, u.start + 0.001))}`, text, '');
  }
  return cues.join('\n');
}

function csvField(v: unknown): string {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const CSV_COLUMNS = [
  'seq',
  't',
  'utteranceId',
  'trackId',
  'start',
  'end',
  'final',
  'label',
  'confidence',
  'valence',
  'arousal',
  'descriptors',
  'explanation',
] as const;

export function toCsv(events: readonly MicroEmoEvent[]): string {
  const rows = [CSV_COLUMNS.join(',')];
  for (const e of events) {
    if (e.type !== 'emotion') continue;
    rows.push(
      [
        e.seq,
        e.t,
        e.utteranceId,
        e.trackId,
        e.start,
        e.end,
        e.final,
        e.label,
        e.confidence,
        e.valence,
        e.arousal,
        e.descriptors.map((d) => d.word).join(' '),
        e.explanation,
      ]
        .map(csvField)
        .join(','),
    );
  }
  return `${rows.join('\n')}\n`;
}
