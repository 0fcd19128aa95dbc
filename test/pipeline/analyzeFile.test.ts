import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type EventOf, type MicroEmoEvent, parseEvent } from '../../src/events/schema.ts';
import { analyzeFile } from '../../src/pipeline/analyzeFile.ts';
import { espeakAvailable, FFMPEG, makeFaceClip, makeSpeechWav } from '../harness/clips.ts';
import { mediaPath, PROJECT_ROOT, skipWithoutMedia } from '../harness/media.ts';

async function run(path: string, faceFrameHz = 10): Promise<MicroEmoEvent[]> {
  const events: MicroEmoEvent[] = [];
  await analyzeFile(path, { faceFrameHz, onEvent: (e) => events.push(e) });
  return events;
}

const of = <T extends MicroEmoEvent['type']>(events: MicroEmoEvent[], type: T) =>
  events.filter((e): e is EventOf<T> => e.type === type);

function assertSeqWithoutGaps(events: MicroEmoEvent[]) {
  for (const [i, e] of events.entries()) assert.equal(e.seq, i, `seq ${e.seq} at position ${i}`);
  for (const e of events) parseEvent(e);
}

describe('analyze a file with the live pipeline', { skip: !espeakAvailable() && 'espeak-ng not installed' }, () => {
  let dir: string;
  let clip: string;
  let spans: [number, number][];
  let events: MicroEmoEvent[];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'microemo-analyze-'));
    const speech = makeSpeechWav(join(dir, 'speech'), {
      lead: 0.8,
      phrases: [
        ['Hello there, how are you today?', 1.2],
        ['I am quite happy with this result.', 1.0],
      ],
    });
    spans = speech.spans;
    clip = makeFaceClip(dir, speech.path, 7);
    events = await run(clip);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('emits a gap-free, schema-valid event sequence from stream.started to stream.ended', () => {
    assertSeqWithoutGaps(events);
    assert.equal(events[0].type, 'stream.started');
    assert.equal(events.at(-1)?.type, 'stream.ended');
    assert.equal(of(events, 'stream.ended')[0].reason, 'eof');
  });

  it('finds the utterances of the speech track', () => {
    const ends = of(events, 'utterance.end');
    assert.equal(ends.length, spans.length);
    ends.forEach((u, i) => {
      assert.ok(Math.abs(u.start - spans[i][0]) < 0.1, `utterance ${i} start ${u.start} vs ${spans[i][0]}`);
      assert.ok(Math.abs(u.end - spans[i][1]) < 0.1, `utterance ${i} end ${u.end} vs ${spans[i][1]}`);
      assert.equal(u.trackId, 0, 'the utterance belongs to the visible face');
    });
  });

  it('tracks the face as one track and sends face.frame at the configured rate', () => {
    const frames = of(events, 'face.frame');
    const withFace = frames.filter((f) => f.faces.length === 1);
    assert.ok(withFace.length >= frames.length * 0.95, `${withFace.length}/${frames.length} with one face`);
    assert.deepEqual([...new Set(frames.flatMap((f) => f.faces.map((x) => x.trackId)))], [0]);
    const rate = (frames.length - 1) / (frames.at(-1)!.t - frames[0].t);
    assert.ok(Math.abs(rate - 10) < 0.5, `face.frame at ${rate} Hz`);
    const f = withFace[10].faces[0];
    // the photo shows a smiling woman: both nets agree on happy
    assert.ok(f.expression.happy > 0.5, `happy ${f.expression.happy}`);
    assert.ok(f.valence > 0.3, `valence ${f.valence}`);
  });

  it('sends partial emotions during each utterance and a final one at its end', () => {
    const emotions = of(events, 'emotion').filter((e) => e.utteranceId !== null);
    for (const u of of(events, 'utterance.end')) {
      const mine = emotions.filter((e) => e.utteranceId === u.utteranceId);
      const finals = mine.filter((e) => e.final);
      assert.equal(finals.length, 1, `one final emotion for ${u.utteranceId}`);
      assert.ok(
        mine.some((e) => !e.final),
        `partial emotions for ${u.utteranceId}`,
      );
      assert.equal(finals[0].start, u.start);
      assert.equal(finals[0].end, u.end);
      assert.equal(finals[0].label, 'happy');
      const endIdx = events.indexOf(u);
      assert.equal(events[endIdx + 1], finals[0], 'the final emotion follows its utterance.end');
    }
  });

  it('gives identical events on a second run of the same file', async () => {
    const again = await run(clip);
    assert.equal(JSON.stringify(again), JSON.stringify(events));
  });

  it('microemo analyze writes JSONL, and a truncated file exits 1 with the events so far', () => {
    const out = join(dir, 'events.jsonl');
    const ok = spawnSync(process.execPath, ['bin/microemo.mjs', 'analyze', clip, '--out', out, '--no-progress'], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
    });
    assert.equal(ok.status, 0, ok.stderr);
    const lines = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as MicroEmoEvent);
    assert.equal(JSON.stringify(lines), JSON.stringify(events));

    const fast = join(dir, 'faststart.mp4');
    execFileSync(FFMPEG, ['-v', 'error', '-y', '-i', clip, '-c', 'copy', '-movflags', '+faststart', fast]);
    const bytes = readFileSync(fast);
    const cut = join(dir, 'cut.mp4');
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.5)));
    const bad = spawnSync(process.execPath, ['bin/microemo.mjs', 'analyze', cut, '--no-progress'], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
    });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /truncated or corrupt file after \d+ frames/);
    const partial = bad.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as MicroEmoEvent);
    assert.ok(of(partial, 'face.frame').length > 10);
    assert.equal(partial.at(-1)?.type, 'stream.ended');
    const missing = spawnSync(process.execPath, ['bin/microemo.mjs', 'analyze', join(dir, 'none.mp4')], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
    });
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /^microemo: .*none\.mp4: no such file$/m);
  });
});

describe('analyze a real talking head', { skip: skipWithoutMedia('talking/1.mp4') }, () => {
  it('segments its speech, follows the speaker, and is reproducible', async () => {
    const path = mediaPath('talking/1.mp4')!;
    // Speech checked independently with `ffmpeg -i talking/1.mp4 -af silencedetect=n=-35dB:d=0.3 -f null -`:
    // sound until 2.35 s (the speaker starts ~0.2 s in), silence 2.35–3.53 s, speech 3.53–4.49 s, silence to the end.
    const events = await run(path);
    assertSeqWithoutGaps(events);
    const utts = of(events, 'utterance.end');
    assert.equal(utts.length, 2, JSON.stringify(utts.map((u) => [u.start, u.end])));
    assert.ok(utts[0].start < 0.4 && Math.abs(utts[0].end - 2.35) < 0.15, `first ${utts[0].start}–${utts[0].end}`);
    assert.ok(
      Math.abs(utts[1].start - 3.53) < 0.15 && Math.abs(utts[1].end - 4.49) < 0.2,
      `second ${utts[1].start}–${utts[1].end}`,
    );
    const frames = of(events, 'face.frame');
    const ids = new Set(frames.flatMap((f) => f.faces.map((x) => x.trackId)));
    assert.equal(ids.size, 1, `one face track, got ${[...ids]}`);
    assert.ok(utts.every((u) => u.trackId === [...ids][0]));
    const again = await run(path);
    assert.equal(JSON.stringify(again), JSON.stringify(events));
  });
});
