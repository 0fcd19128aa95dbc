/**
 * intervals.csv of a spotting data folder (`microemo spot-eval`): one row per labelled expression, header with
 * `file`, `onset` and `offset` (seconds, or frame numbers with `fps`); a video without expressions is listed with both
 * left empty, so that what is spotted in it counts as false positives. CAS(ME)² and SAMM give frame numbers: pass their
 * frame rate.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Interval } from '../vision/megcEval.ts';
import { readDataCsv } from './dataCsv.ts';

export interface IntervalLabels {
  /** every video of the folder's intervals.csv, in first-seen order */
  files: string[];
  /** labelled intervals in seconds, `video` = file */
  truth: Interval[];
}

export function readIntervals(dir: string, opts: { fps?: number } = {}): IntervalLabels {
  const {
    path: csv,
    headerLine,
    header,
    rows,
  } = readDataCsv(dir, 'intervals.csv', 'a header with file, onset and offset');
  const [fi, oi, ei] = ['file', 'onset', 'offset'].map((h) => header.indexOf(h));
  if (fi < 0 || oi < 0 || ei < 0)
    throw new Error(`${csv}: header needs "file", "onset" and "offset", got: ${headerLine}`);
  const unit = opts.fps ? 1 / opts.fps : 1;
  const files: string[] = [];
  const truth: Interval[] = [];
  for (const { line, cells } of rows) {
    const file = cells[fi];
    const where = `${csv}:${line}`;
    if (!file) throw new Error(`${where}: no file`);
    if (!existsSync(join(dir, file))) throw new Error(`${where}: ${file} does not exist`);
    if (!files.includes(file)) files.push(file);
    const [on, off] = [cells[oi] ?? '', cells[ei] ?? ''];
    if (on === '' && off === '') continue;
    const onset = Number(on) * unit;
    const offset = Number(off) * unit;
    if (on === '' || off === '' || !Number.isFinite(onset) || !Number.isFinite(offset) || onset < 0 || offset <= onset)
      throw new Error(`${where}: onset and offset must be numbers with 0 ≤ onset < offset, got "${on}", "${off}"`);
    truth.push({ onset, offset, video: file });
  }
  if (files.length === 0) throw new Error(`${csv} lists no video`);
  return { files, truth };
}
