/** Export formats served by GET /streams/:id/export.<format>. */
import { toCsv, toWebVtt } from '../events/exporters.ts';
import type { MicroEmoEvent } from '../events/schema.ts';

const FORMATS: Record<string, { type: string; render: (events: readonly MicroEmoEvent[]) => string }> = {
  vtt: { type: 'text/vtt; charset=utf-8', render: toWebVtt },
  csv: { type: 'text/csv; charset=utf-8', render: toCsv },
};

export function exportsFor(format: string) {
  return FORMATS[format];
}
