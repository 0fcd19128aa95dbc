/** Small statistics shared by the benchmark suites. */
import { readFileSync } from 'node:fs';

/** Nearest-rank percentile (p in 0..100) of unsorted samples; NaN for none. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

export function median(samples: readonly number[]): number {
  return percentile(samples, 50);
}

/** Runs fn n times after `warmup` runs and returns per-run milliseconds. */
export async function timeRuns(n: number, fn: () => unknown, warmup = Math.min(10, n)): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    out.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return out;
}

/**
 * CPU seconds of this process's exited and reaped child processes (ffmpeg decoders), from /proc/self/stat's cutime and
 * cstime; null where /proc is not there. In clock ticks of USER_HZ, 100 on Linux (no sysconf in Node).
 */
export function childCpuSeconds(): number | null {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    // fields after the command name (which may hold spaces): state is field 3, cutime 16, cstime 17
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[13]) + Number(f[14])) / 100;
  } catch {
    return null;
  }
}

/** CPU time (user+system) of this process in seconds. */
export function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}
