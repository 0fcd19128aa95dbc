/**
 * Server configuration: defaults embedded here, overridden by MICROEMO_* environment variables, overridden by
 * CLI flags. Validated once at start; a bad value fails with a message naming the key and what is allowed.
 */
import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
const bool = z.union([z.boolean(), z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1')]);

/**
 * Parses "k1=v1,k2=v2" (or a JSON object, or an object from code) into a record; `value` maps each right-hand side.
 * One parser for both token maps so that their error messages read alike.
 */
function pairMap<V>(what: string, value: (v: string) => V) {
  return z.unknown().transform((input, ctx): Record<string, V> => {
    if (input && typeof input === 'object') return input as Record<string, V>;
    const s = String(input ?? '').trim();
    if (s === '') return {};
    if (s.startsWith('{')) {
      try {
        return JSON.parse(s) as Record<string, V>;
      } catch {
        ctx.addIssue({ code: 'custom', message: `expected JSON or ${what}` });
        return z.NEVER;
      }
    }
    const out: Record<string, V> = {};
    for (const pair of s.split(',')) {
      const [k, v] = pair.split('=').map((x) => x.trim());
      if (!k || !v) {
        ctx.addIssue({ code: 'custom', message: `bad pair "${pair.trim()}": expected ${what}` });
        return z.NEVER;
      }
      out[k] = value(v);
    }
    return out;
  });
}

/** "roomA=token1,roomB=token2" → { roomA: 'token1', roomB: 'token2' } */
const roomTokenMap = pairMap('room=token,room2=token2', (v) => v);
/** "token1=roomA|roomB,token2=*" → { token1: ['roomA','roomB'], token2: ['*'] }: the rooms each subscriber token may read */
const tokenRoomsMap = pairMap('token=roomA|roomB', (v) => v.split('|').filter(Boolean));

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const configSchema = z.object({
  host: z.string().min(1).default('127.0.0.1'),
  port: port.default(8080),
  logLevel: z.enum(LOG_LEVELS).default('info'),
  /** where recordings (<dataDir>/streams/<id>.jsonl) go */
  dataDir: z.string().min(1).default('data'),
  modelsDir: z.string().min(1).default('models'),
  /** tokens per room for WHIP publishing and joining call rooms; empty = open (logged as a warning) */
  whipTokens: roomTokenMap.default({}),
  /** subscriber tokens and the rooms they may read ('*' = all); empty = open (logged as a warning) */
  eventTokens: tokenRoomsMap.default({}),
  maxSessionsPerRoom: positiveInt.default(4),
  maxSessionsTotal: positiveInt.default(16),
  /** override for the ffmpeg binary (default: the static ffmpeg of @ffmpeg-installer/linux-x64) */
  ffmpegPath: z.string().min(1).optional(),
  /** long side of decoded frames handed to analysis, in pixels */
  analysisLongSide: positiveInt.default(640),
  faceFrameHz: z.coerce.number().positive().max(60).default(10),
  ortThreads: positiveInt.max(64).default(1),
  executionProvider: z.enum(['cpu', 'cuda']).default('cpu'),
  /** optional Redis URL for socket.io scale-out (Redis Streams adapter) */
  redisUrl: z.string().url().optional(),
  /** seconds a stream may go without packets before it is ended */
  streamTimeoutS: z.coerce.number().positive().default(10),
  shutdownTimeoutMs: positiveInt.default(5000),
  /** validate every event against the schema before delivery */
  validateEvents: bool.default(true),
  /** trained core-model weights (`microemo train --out`); unset = the training-free default weights */
  weights: z.string().min(1).optional(),
  /** optional ONNX image encoder (NCHW/NHWC float image in, embedding out) whose embedding joins the global token */
  imageEncoder: z.string().min(1).optional(),
  /** seconds between partial emotions of an open utterance */
  emotionPartialS: z.coerce.number().positive().max(30).default(1),
  /** seconds between (and span of) windowed emotions for faces that are not speaking */
  emotionWindowS: z.coerce.number().positive().max(120).default(4),
  /** seconds of recent context the Q-Former's context tokens read */
  emotionContextS: z.coerce.number().positive().max(600).default(30),
  /** OpenAI-compatible base URL (POST {url}/chat/completions) that rewrites explanations; unset = templated only */
  llmUrl: z.string().url().optional(),
  llmModel: z.string().min(1).default('gpt-4o-mini'),
  /** bearer key for llmUrl (prefer the environment variable) */
  llmApiKey: z.string().min(1).optional(),
});

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** MICROEMO_MAX_SESSIONS_PER_ROOM ↔ maxSessionsPerRoom */
export function envName(key: string): string {
  return `MICROEMO_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

/** --max-sessions-per-room ↔ maxSessionsPerRoom */
export function flagName(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

function describeAllowed(key: string): string {
  const shape = configSchema.shape[key as keyof typeof configSchema.shape];
  let s: z.ZodType = shape;
  while (s instanceof z.ZodDefault || s instanceof z.ZodOptional) s = s.unwrap() as z.ZodType;
  if (s instanceof z.ZodEnum) return `one of ${s.options.join(', ')}`;
  return '';
}

/** Merges env and flags over the defaults and validates; throws ConfigError naming every bad key. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, flags: Partial<Record<string, unknown>> = {}): Config {
  const raw: Record<string, unknown> = {};
  const origin: Record<string, string> = {};
  for (const key of Object.keys(configSchema.shape)) {
    const e = env[envName(key)];
    if (e !== undefined) {
      raw[key] = e;
      origin[key] = envName(key);
    }
    if (flags[key] !== undefined) {
      raw[key] = flags[key];
      origin[key] = flagName(key);
    }
  }
  const r = configSchema.safeParse(raw);
  if (r.success) return r.data;
  const lines = r.error.issues.map((i) => {
    const key = String(i.path[0] ?? '');
    const allowed = describeAllowed(key);
    return `invalid configuration ${key} (${origin[key] ?? 'default'}=${JSON.stringify(raw[key])}): ${i.message}${allowed ? ` (allowed: ${allowed})` : ''}`;
  });
  throw new ConfigError(lines.join('\n'));
}

/** Markdown table of every key (for the README). */
export function configTable(): string {
  const rows = Object.keys(configSchema.shape).map((key) => {
    const def = configSchema.shape[key as keyof typeof configSchema.shape].safeParse(undefined);
    const value = def.success ? JSON.stringify(def.data) : '(unset)';
    return `| \`${key}\` | \`${envName(key)}\` | \`${flagName(key)}\` | ${value ?? '(unset)'} |`;
  });
  return ['| key | env | flag | default |', '|---|---|---|---|', ...rows].join('\n');
}
