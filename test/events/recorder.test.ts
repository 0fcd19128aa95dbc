import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { EventBus } from '../../src/events/bus.ts';
import { toWebVtt } from '../../src/events/exporters.ts';
import { Recorder, safeStreamId } from '../../src/events/recorder.ts';
import { parseEvent } from '../../src/events/schema.ts';
import { PROJECT_ROOT } from '../harness/media.ts';

describe('Recorder', () => {
  it('writes every event as JSONL, flushing at stream end, and reads back since a seq', () => {
    const dir = mkdtempSync(join(tmpdir(), 'microemo-rec-'));
    try {
      const bus = new EventBus();
      const rec = new Recorder(bus, dir, 60_000);
      const pub = bus.stream('s-1', 'room');
      pub.publish('stream.started', { t: 0, source: 'file', video: null, audio: null });
      pub.publish('utterance.start', { t: 1, utteranceId: 'u1', continuation: false, trackId: null });
      const file = join(dir, 'streams', 's-1.jsonl');
      assert.equal(existsSync(file), false, 'not flushed yet (interval is long)');
      assert.deepEqual(
        rec.events('s-1', 1)?.map((e) => e.seq),
        [1],
        'pending events are readable',
      );
      pub.publish('stream.ended', { t: 2, reason: 'eof' });
      const lines = readFileSync(file, 'utf8').trim().split('\n');
      assert.deepEqual(
        lines.map((l) => parseEvent(JSON.parse(l)).type),
        ['stream.started', 'utterance.start', 'stream.ended'],
      );
      assert.equal(rec.summary('s-1')?.ended, true);
      assert.equal(rec.events('nope'), undefined);
      assert.equal(toWebVtt(rec.events('s-1') ?? []), 'WEBVTT\n');
      rec.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses stream ids that are not safe file names', () => {
    assert.equal(safeStreamId('room-1_a.b'), true);
    for (const bad of ['../x', 'a/b', '', '.hidden', 'x'.repeat(200)]) assert.equal(safeStreamId(bad), false, bad);
  });

  it('keeps valid JSONL up to the last flush when the process is killed with SIGKILL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'microemo-rec-'));
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', 'test/events/fixtures/recordForever.ts', dir], {
        cwd: PROJECT_ROOT,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const progress: [number, number][] = [];
      child.stdout.on('data', (d: Buffer) => {
        for (const l of d.toString().trim().split('\n')) {
          const [ms, n] = l.split(' ').map(Number);
          progress.push([ms, n]);
        }
      });
      await new Promise((r) => setTimeout(r, 3500));
      const killedAt = Date.now();
      child.kill('SIGKILL');
      await new Promise((r) => child.on('exit', r));
      const lines = readFileSync(join(dir, 'streams', 'crash-1.jsonl'), 'utf8')
        .split('\n')
        .filter(Boolean);
      const seqs = lines.map((l) => parseEvent(JSON.parse(l)).seq);
      assert.deepEqual(
        seqs,
        seqs.map((_, i) => i),
        'every line parses, seqs contiguous from 0',
      );
      // at most ~1 s of events (the flush interval) may be missing
      const publishedSecondBefore = progress.filter(([ms]) => ms <= killedAt - 1100).at(-1)?.[1] ?? 0;
      assert.ok(publishedSecondBefore > 100, `the child published ${publishedSecondBefore} events`);
      assert.ok(
        seqs.length >= publishedSecondBefore,
        `${seqs.length} recorded, ${publishedSecondBefore} published 1.1 s before the kill`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
