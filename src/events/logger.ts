/**
 * Structured logging (pino): pretty on a TTY, JSON otherwise. Stages take a child logger (per stream) from here.
 */
import { type LevelWithSilent, type Logger, pino } from 'pino';

export type { Logger };

let root: Logger | undefined;

export function createRootLogger(level: LevelWithSilent = 'info', pretty = process.stdout.isTTY === true): Logger {
  root = pretty
    ? pino({ level, transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'HH:MM:ss.l' } } })
    : pino({ level });
  return root;
}

/** The process-wide logger; silent until the entry point creates one (keeps library use and tests quiet). */
export function rootLogger(): Logger {
  root ??= pino({ level: process.env.MICROEMO_LOG_LEVEL ?? 'silent' });
  return root;
}

export function streamLogger(streamId: string, room: string): Logger {
  return rootLogger().child({ streamId, room });
}
