/**
 * Ingest benchmark: the live video decode path (depacketized VP8 frames → IVF on stdin of one long-lived ffmpeg
 * per stream → preallocated 640×480 RGB frames in Node) at 640×480 30 fps, ~2 Mbit/s, paced in real time.
 * Reports per-stream decode CPU (ffmpeg child + this process, fraction of one core), packet-to-frame latency
 * (encoded frame written → decoded frame in Node; p50/p95) and how many such streams decode concurrently in real
 * time (≥ 95 % of frames out, p95 latency ≤ 100 ms). Everything is bounded: ≤ 8 streams, 5 s per step.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveFfmpeg } from '../src/ingest/ffmpegPath.ts';
import { LiveVideoDecoder } from '../src/ingest/liveVideoDecoder.ts';
import { cpuSeconds, percentile } from './lib/stats.ts';

const W = 640;
const H = 480;
const FPS = 30;
const STEP_S = 5;
const ffmpeg = resolveFfmpeg(process.env.MICROEMO_FFMPEG);

/** Encoded VP8 frames of a moving test pattern (keyframe every second), as a browser would send them. */
function encodeClip(): { data: Buffer; key: boolean }[] {
  const dir = mkdtempSync(join(tmpdir(), 'ingest-bench-'));
  const ivf = join(dir, 'clip.ivf');
  const r = spawnSync(
    ffmpeg,
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-f',
      'lavfi',
      '-i',
      `testsrc2=size=${W}x${H}:rate=${FPS}:duration=${STEP_S + 2}`,
      '-c:v',
      'libvpx',
      '-deadline',
      'realtime',
      '-cpu-used',
      '8',
      '-b:v',
      '2200k',
      '-g',
      String(FPS),
      '-y',
      ivf,
    ],
    { timeout: 120_000 },
  );
  if (r.status !== 0) throw new Error(`ffmpeg could not encode the bench clip: ${r.stderr?.toString()}`);
  const buf = readFileSync(ivf);
  rmSync(dir, { recursive: true, force: true });
  const frames: { data: Buffer; key: boolean }[] = [];
  let off = buf.readUInt16LE(6);
  while (off + 12 <= buf.length) {
    const size = buf.readUInt32LE(off);
    const data = buf.subarray(off + 12, off + 12 + size);
    frames.push({ data, key: (data[0] & 1) === 0 });
    off += 12 + size;
  }
  return frames;
}

function childCpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime + stime in clock ticks (USER_HZ = 100)
  } catch {
    return 0;
  }
}

interface StepResult {
  streams: number;
  fpsOut: number;
  delivered: number;
  latencies: number[];
  corePerStream: number;
}

async function runStep(n: number, clip: { data: Buffer; key: boolean }[]): Promise<StepResult> {
  const latencies: number[] = [];
  const decoders: LiveVideoDecoder[] = [];
  const written: Map<number, number>[] = [];
  const out: number[] = [];
  for (let s = 0; s < n; s++) {
    const sent = new Map<number, number>();
    written.push(sent);
    out.push(0);
    decoders.push(
      new LiveVideoDecoder({
        ffmpeg,
        codec: 'VP8',
        width: W,
        height: H,
        onNeedKeyframe: () => undefined,
        onFrame: (f) => {
          const t0 = sent.get(f.pts);
          if (t0 !== undefined) {
            latencies.push(performance.now() - t0);
            sent.delete(f.pts);
          }
          out[s]++;
        },
      }),
    );
  }
  // let the decoders start (they drop the first keyframe they see: start the feed with one anyway)
  await new Promise((r) => setTimeout(r, 400));
  const cpu0 = cpuSeconds();
  const child0 = decoders.map((d) => childCpuSeconds(d.pid));
  const start = performance.now();
  const total = STEP_S * FPS;
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / FPS;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const frame = clip[i % clip.length];
    const pts = i * (90000 / FPS);
    for (let s = 0; s < n; s++) {
      written[s].set(pts, performance.now());
      decoders[s].write(frame.data, pts);
    }
  }
  await new Promise((r) => setTimeout(r, 300));
  const elapsed = (performance.now() - start) / 1000;
  const childCpu = decoders.reduce((a, d, i) => a + childCpuSeconds(d.pid) - child0[i], 0);
  const nodeCpu = cpuSeconds() - cpu0;
  await Promise.all(decoders.map((d) => d.stop()));
  // the first keyframe is dropped by -fflags nobuffer: count frames from the second GOP on
  const expected = total - FPS;
  const delivered = Math.min(...out) / expected;
  return {
    streams: n,
    fpsOut: Math.min(...out) / STEP_S,
    delivered,
    latencies,
    corePerStream: (childCpu + nodeCpu) / elapsed / n,
  };
}

const clip = encodeClip();
const kbps = (clip.reduce((a, f) => a + f.data.length, 0) * 8) / (clip.length / FPS) / 1000;
console.log(`ffmpeg ${ffmpeg}; clip ${clip.length} VP8 frames ${W}×${H} ${FPS} fps, ${kbps.toFixed(0)} kbit/s`);

const one = await runStep(1, clip);
const p50 = percentile(one.latencies, 50);
const p95 = percentile(one.latencies, 95);
console.log(
  `1 stream: ${one.corePerStream.toFixed(3)} core, packet→frame p50 ${p50.toFixed(1)} ms p95 ${p95.toFixed(1)} ms, ${(one.delivered * 100).toFixed(1)} % frames`,
);

let realtime = one.delivered >= 0.95 && p95 <= 100 ? 1 : 0;
for (const n of [2, 4, 6, 8]) {
  if (realtime === 0) break;
  const r = await runStep(n, clip);
  const q95 = percentile(r.latencies, 95);
  const ok = r.delivered >= 0.95 && q95 <= 100;
  console.log(
    `${n} streams: ${r.corePerStream.toFixed(3)} core/stream, slowest ${r.fpsOut.toFixed(1)} fps, p95 ${q95.toFixed(1)} ms → ${ok ? 'real time' : 'falls behind'}`,
  );
  if (!ok) break;
  realtime = n;
}

console.log(
  JSON.stringify({
    suite: 'ingest',
    metrics: {
      decode_core_per_stream: Number(one.corePerStream.toFixed(4)),
      packet_to_frame_ms_p50: Number(p50.toFixed(2)),
      packet_to_frame_ms_p95: Number(p95.toFixed(2)),
      realtime_streams: realtime,
    },
  }),
);
