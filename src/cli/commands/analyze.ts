/**
 * `microemo analyze <file> [--out events.jsonl]`: runs the live pipeline on a file and writes its events as JSONL
 * (stdout when no --out), with progress on stderr. Exits 1 with a one-line reason on bad input; a truncated file
 * still writes the events of the frames decoded before the cut.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import type { Command } from 'commander';
import { analyzeFile } from '../../pipeline/analyzeFile.ts';
import { createProgress } from '../progress.ts';

interface AnalyzeOpts {
  out?: string;
  room: string;
  stream?: string;
  realtime?: boolean;
  faceFrameHz: string;
  longSide: string;
  modelsDir?: string;
  ffmpegPath?: string;
  weights?: string;
  progress: boolean;
}

function positive(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got "${v}"`);
  return n;
}

export function register(program: Command): void {
  program
    .command('analyze <file>')
    .description('analyse a video/audio file with the live pipeline and write its events as JSONL')
    .option('-o, --out <path>', 'write events here (default: stdout)')
    .option('--room <room>', 'room name stamped on the events', 'file')
    .option('--stream <id>', 'stream id (default: the file name)')
    .option('--realtime', 'pace the file at its media rate, as if live')
    .option('--face-frame-hz <hz>', 'rate of face.frame events', '10')
    .option('--long-side <px>', 'analysis frame size (long side)', '640')
    .option('--models-dir <dir>', 'converted models folder')
    .option('--ffmpeg-path <path>', 'ffmpeg binary to decode with')
    .option('--weights <file>', 'trained core-model weights (default: the training-free defaults)')
    .option('--no-progress', 'no progress display')
    .action(async (file: string, opts: AnalyzeOpts) => {
      const faceFrameHz = positive('face-frame-hz', opts.faceFrameHz);
      const longSide = positive('long-side', opts.longSide);
      const out: WriteStream | NodeJS.WriteStream = opts.out ? createWriteStream(opts.out) : process.stdout;
      let progress: ReturnType<typeof createProgress> | undefined;
      const result = await analyzeFile(file, {
        streamId: opts.stream,
        room: opts.room,
        realtime: opts.realtime,
        faceFrameHz,
        longSide,
        modelsDir: opts.modelsDir,
        ffmpegPath: opts.ffmpegPath,
        weights: opts.weights,
        onEvent: (e) => out.write(`${JSON.stringify(e)}\n`),
        onProgress: opts.progress
          ? (t, dur) => {
              progress ??= createProgress('analyze', dur ?? 0, ' s');
              progress.update(t, file);
            }
          : undefined,
      });
      progress?.stop();
      if (out !== process.stdout) await new Promise<void>((r) => (out as WriteStream).end(r));
      const counts = Object.entries(result.byType)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
      if (opts.progress || result.endReason !== 'eof') {
        process.stderr.write(`analyze: ${result.events} events (${counts})${opts.out ? ` → ${opts.out}` : ''}\n`);
      }
      if (result.endReason !== 'eof') throw new Error(result.message ?? `stream ended: ${result.endReason}`);
    });
}
