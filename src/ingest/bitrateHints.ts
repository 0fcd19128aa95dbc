/**
 * Chrome starts its send bitrate at ~300–500 kbps and ramps slowly (frame rate suffers meanwhile); x-google bitrate
 * hints on the video codecs of the answer it receives let it start at analysis quality at once. Other clients
 * ignore the parameters. Applied to every answer to a publisher (WHIP and call rooms) so both behave alike.
 */
export interface BitrateHints {
  startKbps: number;
  minKbps: number;
}

export const DEFAULT_BITRATE_HINTS: BitrateHints = { startKbps: 2000, minKbps: 800 };

/** Retransmission and FEC formats carry no bitrate of their own. */
const NOT_A_CODEC = new Set(['RTX', 'RED', 'ULPFEC', 'FLEXFEC-03']);

/**
 * Adds the hints to the fmtp of each video codec in `sdp` (an fmtp line is added for codecs without one, as VP8
 * usually is). Idempotent; audio and other sections are left as they are.
 */
export function withBitrateHints(sdp: string, hints: BitrateHints = DEFAULT_BITRATE_HINTS): string {
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  const params = `x-google-start-bitrate=${hints.startKbps};x-google-min-bitrate=${hints.minKbps}`;
  const lines = sdp.split(eol);
  const out: string[] = [];
  let video = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.startsWith('m=')) video = line.startsWith('m=video');
    const rtpmap = video ? /^a=rtpmap:(\d+) ([^/]+)\//.exec(line) : null;
    const fmtp = video ? /^a=fmtp:(\d+) /.exec(line) : null;
    if (fmtp && !line.includes('x-google-start-bitrate') && isCodec(lines, fmtp[1] as string)) {
      out.push(`${line};${params}`);
      continue;
    }
    out.push(line);
    if (rtpmap && !NOT_A_CODEC.has((rtpmap[2] as string).toUpperCase())) {
      const pt = rtpmap[1] as string;
      if (!lines.some((l) => l.startsWith(`a=fmtp:${pt} `))) out.push(`a=fmtp:${pt} ${params}`);
    }
  }
  return out.join(eol);
}

function isCodec(lines: string[], pt: string): boolean {
  const rtpmap = lines.find((l) => l.startsWith(`a=rtpmap:${pt} `));
  const name = rtpmap?.split(' ')[1]?.split('/')[0]?.toUpperCase();
  return name !== undefined && !NOT_A_CODEC.has(name);
}
