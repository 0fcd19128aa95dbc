/**
 * Prometheus metrics shared by every layer (prom-client). One registry per process; stages record into the
 * instruments defined here so that /metrics shows the whole pipeline.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'microemo_process_' });

const latencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export const metrics = {
  streams: new Gauge({
    name: 'microemo_streams',
    help: 'Streams currently being analysed, by source',
    labelNames: ['source'] as const,
    registers: [registry],
  }),
  framesIn: new Counter({
    name: 'microemo_frames_in_total',
    help: 'Video frames received (decoded or about to be decoded)',
    labelNames: ['stream'] as const,
    registers: [registry],
  }),
  framesAnalysed: new Counter({
    name: 'microemo_frames_analysed_total',
    help: 'Video frames that went through the face branch',
    labelNames: ['stream'] as const,
    registers: [registry],
  }),
  framesDropped: new Counter({
    name: 'microemo_frames_dropped_total',
    help: 'Video frames dropped by backpressure',
    labelNames: ['stream', 'stage'] as const,
    registers: [registry],
  }),
  queueDepth: new Gauge({
    name: 'microemo_queue_depth',
    help: 'Items waiting in a stage queue',
    labelNames: ['stage'] as const,
    registers: [registry],
  }),
  stageLatency: new Histogram({
    name: 'microemo_stage_latency_seconds',
    help: 'Processing time per item, by stage',
    labelNames: ['stage'] as const,
    buckets: latencyBuckets,
    registers: [registry],
  }),
  eventsPublished: new Counter({
    name: 'microemo_events_total',
    help: 'Events published on the bus, by type',
    labelNames: ['type'] as const,
    registers: [registry],
  }),
  eventLoopDelay: new Gauge({
    name: 'microemo_event_loop_delay_seconds',
    help: 'Event-loop delay of the main thread over the last interval',
    labelNames: ['quantile'] as const,
    registers: [registry],
  }),
};

for (const source of ['whip', 'call', 'file']) metrics.streams.set({ source }, 0);

/** Removes a stream's labelled series when it ends, so that many short streams do not grow the registry. */
export function forgetStream(streamId: string): void {
  metrics.framesIn.remove({ stream: streamId });
  metrics.framesAnalysed.remove({ stream: streamId });
  for (const stage of droppedStages.get(streamId) ?? []) metrics.framesDropped.remove({ stream: streamId, stage });
  droppedStages.delete(streamId);
}

const droppedStages = new Map<string, Set<string>>();
/** Counts dropped frames of a stream at a stage (use this rather than metrics.framesDropped directly). */
export function countDropped(streamId: string, stage: string, n = 1): void {
  const stages = droppedStages.get(streamId) ?? new Set<string>();
  droppedStages.set(streamId, stages);
  stages.add(stage);
  metrics.framesDropped.inc({ stream: streamId, stage }, n);
}

/** Times a synchronous or async stage call into microemo_stage_latency_seconds. */
export async function timed<T>(stage: string, fn: () => T | Promise<T>): Promise<T> {
  const end = metrics.stageLatency.startTimer({ stage });
  try {
    return await fn();
  } finally {
    end();
  }
}
