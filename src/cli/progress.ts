/**
 * Progress display for long CLI work: a cli-progress bar on an interactive terminal, periodic plain lines
 * otherwise (CI logs, pipes). Always on stderr, so stdout stays clean for data.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number, detail?: string): void;
  stop(): void;
}

export function createProgress(label: string, total: number, unit = ''): Progress {
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream: process.stderr,
        format: `${label} [{bar}] {percentage}% | {value}/{total}${unit} | {detail}`,
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(Math.max(1, Math.round(total)), 0, { detail: '' });
    return {
      update: (done, detail = '') => bar.update(Math.round(done), { detail }),
      stop: () => bar.stop(),
    };
  }
  let last = 0;
  return {
    update(done, detail = '') {
      const now = Date.now();
      if (now - last < 2000) return;
      last = now;
      const pct = total > 0 ? Math.min(100, (100 * done) / total).toFixed(0) : '?';
      process.stderr.write(`${label}: ${pct}% (${done.toFixed(1)}/${total.toFixed(1)}${unit}) ${detail}\n`);
    },
    stop() {},
  };
}
