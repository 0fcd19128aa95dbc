/**
 * Checks and normalises a WHIP offer before werift sees it. GStreamer offers `m=video 0 … a=bundle-only` sections,
 * which werift answers `inactive` unless the port is 9 and bundle-only dropped. Publishing carries at most one audio
 * and one video track, in a codec we decode (H.264 any profile with packetization-mode 1, VP8; Opus).
 */
export type OfferProblem = { status: 400 | 406 | 422; message: string };

export interface OfferCheck {
  sdp: string;
  video: string | null;
  audio: string | null;
}

const VIDEO_CODECS = ['H264', 'VP8'];

export function checkOffer(raw: string): OfferCheck | OfferProblem {
  const text = raw.replace(/\r?\n/g, '\r\n');
  const lines = text.split('\r\n').filter((l) => l.length > 0);
  if (lines[0] !== 'v=0' || !lines.some((l) => l.startsWith('m='))) {
    return { status: 400, message: 'malformed SDP: expected an offer starting with v=0 and holding m= sections' };
  }
  if (lines.some((l) => !/^[a-z]=/.test(l)))
    return { status: 400, message: 'malformed SDP: every line must be <letter>=…' };
  const sections: string[][] = [];
  const head: string[] = [];
  for (const l of lines) {
    if (l.startsWith('m=')) sections.push([l]);
    else if (sections.length) sections[sections.length - 1].push(l);
    else head.push(l);
  }
  const kinds = sections.map((s) => s[0].slice(2).split(' ')[0]);
  if (kinds.filter((k) => k === 'video').length > 1 || kinds.filter((k) => k === 'audio').length > 1) {
    return { status: 422, message: 'the offer has more than one audio or video track; publish one of each at most' };
  }
  let video: string | null = null;
  let audio: string | null = null;
  const out = sections.map((s, i) => {
    const codecs = s
      .filter((l) => l.startsWith('a=rtpmap:'))
      .map((l) => l.split(' ')[1]?.split('/')[0]?.toUpperCase() ?? '');
    if (kinds[i] === 'video') video = VIDEO_CODECS.find((c) => codecs.includes(c)) ?? null;
    if (kinds[i] === 'audio') audio = codecs.includes('OPUS') ? 'opus' : null;
    const fixed = s
      .filter((l) => l !== 'a=bundle-only')
      .map((l, j) =>
        j === 0 && / 0 /.test(l.slice(0, 12)) && s.includes('a=bundle-only') ? l.replace(/^(m=\w+) 0 /, '$1 9 ') : l,
      );
    return fixed;
  });
  if (!video && !audio) {
    return { status: 406, message: 'no supported codec offered (video: H264 or VP8; audio: Opus)' };
  }
  return { sdp: `${[...head, ...out.flat()].join('\r\n')}\r\n`, video, audio };
}
