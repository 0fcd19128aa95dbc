/**
 * The CSV files of a data folder (`labels.csv` for train/eval, `intervals.csv` for spot-eval): small, hand-edited,
 * comma-separated with optional double quotes. Split by hand: one quoted-field splitter is all they need, not a
 * dependency.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let q = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (q) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') q = false;
      else cur += ch;
    } else if (ch === '"') q = true;
    else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map((s) => s.trim());
}

export interface DataCsv {
  path: string;
  /** the first non-empty line ('' when there is none) and its cells, lower-cased */
  headerLine: string;
  header: string[];
  /** the non-empty lines after the header, with their 1-based line numbers */
  rows: { line: number; cells: string[] }[];
}

/** `<dir>/<name>`; throws when the folder or the file is missing (`expected` says what the file should hold). */
export function readDataCsv(dir: string, name: string, expected: string): DataCsv {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`data folder ${dir} does not exist`);
  const path = join(dir, name);
  if (!existsSync(path)) throw new Error(`${path} is missing (${expected})`);
  const lines = readFileSync(path, 'utf8')
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .map((text, i) => ({ line: i + 1, text }))
    .filter((l) => l.text.trim() !== '');
  const headerLine = lines[0]?.text ?? '';
  return {
    path,
    headerLine,
    header: splitCsvLine(headerLine).map((h) => h.toLowerCase()),
    rows: lines.slice(1).map((l) => ({ line: l.line, cells: splitCsvLine(l.text) })),
  };
}
