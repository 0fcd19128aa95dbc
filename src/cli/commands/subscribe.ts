/**
 * `microemo subscribe --room <r> [--stream <id>] [--json]`: prints a server's live events, readably or as JSONL.
 */
import type { Command } from 'commander';
import { connect, type MicroEmoEvent } from '../../../client/sdk/index.ts';

/** One readable line per event (face.frame summarised). */
export function formatEvent(e: MicroEmoEvent): string {
  const head = `${e.t.toFixed(2).padStart(8)}s ${e.streamId} #${e.seq} ${e.type}`;
  switch (e.type) {
    case 'emotion':
      return `${head} ${e.final ? 'final' : 'partial'} ${e.label} ${(e.confidence * 100).toFixed(0)}% V${e.valence.toFixed(2)} A${e.arousal.toFixed(2)}${e.descriptors.length ? ` (${e.descriptors.map((d) => d.word).join(', ')})` : ''} — ${e.explanation}`;
    case 'utterance.start':
      return `${head} ${e.utteranceId}${e.trackId !== null ? ` track ${e.trackId}` : ''}`;
    case 'utterance.end':
      return `${head} ${e.utteranceId} ${e.start.toFixed(2)}–${e.end.toFixed(2)} s`;
    case 'face.frame':
      return `${head} ${e.faces.length} face(s)${e.faces.map((f) => ` [${f.trackId}: V${f.valence.toFixed(2)} A${f.arousal.toFixed(2)}]`).join('')}`;
    case 'microexpression':
      return `${head} track ${e.trackId} ${e.kind} ${e.durationMs} ms ${e.aus.join('+')} → ${e.expressionAtApex}`;
    case 'stream.started':
      return `${head} ${e.source}`;
    case 'stream.ended':
      return `${head} ${e.reason}${e.message ? `: ${e.message}` : ''}`;
    case 'stream.health':
      return `${head} ${e.fpsAnalysed}/${e.fpsIn} fps, dropped ${(e.dropRatio * 100).toFixed(1)}%${e.degraded ? ' (degraded)' : ''}`;
  }
}

export function register(program: Command): void {
  program
    .command('subscribe')
    .description("print a room's (or one stream's) live events")
    .requiredOption('--room <room>', 'room to follow')
    .option('--stream <id>', 'only this stream (replayed from its start, then live)')
    .option('--url <url>', 'server URL', 'http://127.0.0.1:8080')
    .option('--token <token>', 'subscriber token (or MICROEMO_TOKEN)')
    .option('--json', 'one JSON event per line')
    .option('--timeout <s>', 'stop after this many seconds')
    .action(
      async (opts: {
        room: string;
        stream?: string;
        url: string;
        token?: string;
        json?: boolean;
        timeout?: string;
      }) => {
        const client = connect(opts.url, {
          token: opts.token ?? process.env.MICROEMO_TOKEN,
          socket: { transports: ['websocket'], reconnectionAttempts: 5 },
        });
        await new Promise<void>((resolve, reject) => {
          client.socket.once('connect', () => resolve());
          client.socket.once('connect_error', (err) =>
            reject(new Error(`cannot connect to ${opts.url}: ${err.message}`)),
          );
        });
        client.on('*', (e) => {
          if (opts.stream && e.streamId !== opts.stream) return;
          process.stdout.write(`${opts.json ? JSON.stringify(e) : formatEvent(e)}\n`);
        });
        await client.subscribe(opts.stream ? { streamId: opts.stream, sinceSeq: 0 } : { room: opts.room });
        // on stderr, so that stdout stays pure JSONL with --json
        process.stderr.write(
          `subscribed to ${opts.stream ? `stream ${opts.stream}` : `room ${opts.room}`} at ${opts.url}\n`,
        );
        const stop = () => {
          client.close();
          process.exit(0);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
        if (opts.timeout) setTimeout(stop, Number(opts.timeout) * 1000);
        await new Promise(() => {});
      },
    );
}
