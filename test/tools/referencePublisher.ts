/**
 * A WHIP publisher whose audio and video are in sync by construction, as a reference for the A/V alignment test:
 * werift sends pre-encoded VP8 (IVF) and Opus (Ogg) packets with RTP timestamps computed from their media time,
 * each when a live sender would (a frame at its time, an Opus packet once its last sample is "captured"), and its
 * RTCP sender reports map RTP time to NTP exactly. werift's own reports map the last packet's send time, which a
 * busy machine delays by a variable amount: the sender's `ntpTimestamp` is made a function of its `rtpTimestamp`
 * (a test-only shim on werift's sender fields, read when it builds a report).
 * GStreamer publishers are no such reference: by default their reports map send time (each encoder's delay
 * included; 11 ms apart from capture-time reports, measured), and from paced files their RTP time ran at twice the
 * reports' rate.
 */
import { readFileSync } from 'node:fs';
import { RTCPeerConnection, RTCRtpCodecParameters, type RTCRtpSender, RtpHeader, RtpPacket } from 'werift';

const VIDEO_TS0 = 200_000;
const AUDIO_TS0 = 100_000;

/** IVF frames (VP8) with their pts in the file's time base. */
export function readIvf(path: string): { rate: number; frames: { pts: number; data: Buffer }[] } {
  const b = readFileSync(path);
  const rate = b.readUInt32LE(16) / b.readUInt32LE(20);
  const frames: { pts: number; data: Buffer }[] = [];
  for (let o = b.readUInt16LE(6); o + 12 <= b.length; ) {
    const size = b.readUInt32LE(o);
    frames.push({ pts: Number(b.readBigUInt64LE(o + 4)), data: b.subarray(o + 12, o + 12 + size) });
    o += 12 + size;
  }
  return { rate, frames };
}

/** Opus packets of an Ogg Opus file and the encoder's pre-skip (48 kHz samples). */
export function readOggOpus(path: string): { preSkip: number; packets: Buffer[] } {
  const b = readFileSync(path);
  const packets: Buffer[] = [];
  let partial: Buffer[] = [];
  for (let o = 0; o + 27 <= b.length; ) {
    if (b.toString('latin1', o, o + 4) !== 'OggS') throw new Error(`no Ogg page at ${o}`);
    const segments = b[o + 26] as number;
    let data = o + 27 + segments;
    for (let i = 0; i < segments; i++) {
      const lace = b[o + 27 + i] as number;
      partial.push(b.subarray(data, data + lace));
      data += lace;
      if (lace < 255) {
        packets.push(Buffer.concat(partial));
        partial = [];
      }
    }
    o = data;
  }
  const head = packets.shift();
  if (head?.toString('latin1', 0, 8) !== 'OpusHead') throw new Error('no OpusHead');
  packets.shift(); // OpusTags
  return { preSkip: head.readUInt16LE(10), packets };
}

/** RFC 7741 payloads of one VP8 frame: a one-byte descriptor (S on the first), at most `mtu` bytes each. */
function vp8Payloads(frame: Buffer, mtu = 1100): Buffer[] {
  const out: Buffer[] = [];
  for (let o = 0; o < frame.length; o += mtu) {
    out.push(Buffer.concat([Buffer.from([o === 0 ? 0x10 : 0x00]), frame.subarray(o, o + mtu)]));
  }
  return out;
}

/** Makes the sender's reports map RTP time to the NTP time of its media time (see the file comment). */
function exactReports(sender: RTCRtpSender, ts0: number, rate: number, wall0Ms: number): void {
  const ntpOf = (rtp: number) => {
    const ms = wall0Ms + (((rtp - ts0) >>> 0) / rate) * 1000 - Date.UTC(1900, 0, 1);
    const s = Math.floor(ms / 1000);
    return (BigInt(s) << 32n) + BigInt(Math.floor(((ms - s * 1000) / 1000) * 2 ** 32));
  };
  const s = sender as unknown as { rtpTimestamp: number };
  Object.defineProperty(sender, 'ntpTimestamp', { get: () => ntpOf(s.rtpTimestamp), set: () => undefined });
}

export interface ReferencePublish {
  location: string;
  /** resolves when every packet has been sent */
  done: Promise<void>;
  close(): Promise<void>;
}

export async function publishReference(url: string, ivfPath: string, oggPath: string): Promise<ReferencePublish> {
  const video = readIvf(ivfPath);
  const audio = readOggOpus(oggPath);
  const pc = new RTCPeerConnection({
    codecs: {
      video: [new RTCRtpCodecParameters({ mimeType: 'video/VP8', clockRate: 90000 })],
      audio: [new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48000, channels: 2 })],
    },
    headerExtensions: { video: [], audio: [] },
    iceAdditionalHostAddresses: ['127.0.0.1'],
    iceUseIpv6: false,
  });
  const vSender = pc.addTransceiver('video', { direction: 'sendonly' }).sender;
  const aSender = pc.addTransceiver('audio', { direction: 'sendonly' }).sender;
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise<void>((resolve) => {
    if (pc.iceGatheringState === 'complete') return resolve();
    pc.iceGatheringStateChange.subscribe((s) => s === 'complete' && resolve());
    setTimeout(resolve, 2000);
  });
  const res = await fetch(url, {
    method: 'POST',
    body: pc.localDescription?.sdp,
    headers: { 'content-type': 'application/sdp' },
  });
  if (res.status !== 201) throw new Error(`POST ${res.status}: ${await res.text()}`);
  const location = new URL(res.headers.get('location') ?? '', url).toString();
  await pc.setRemoteDescription({ type: 'answer', sdp: await res.text() });
  await new Promise<void>((resolve, reject) => {
    if (pc.connectionState === 'connected') return resolve();
    pc.connectionStateChange.subscribe((s) => s === 'connected' && resolve());
    setTimeout(() => reject(new Error('ICE did not connect in 5 s')), 5000);
  });

  // media time 0 is now; packets are due at their media time (Opus: at its end), checked every few ms
  const wall0 = performance.timeOrigin + performance.now();
  exactReports(vSender, VIDEO_TS0, 90000, wall0);
  exactReports(aSender, AUDIO_TS0, 48000, wall0);
  type Due = { at: number; send: () => void };
  const queue: Due[] = [];
  let vSeq = 0;
  video.frames.forEach((f) => {
    const ts = VIDEO_TS0 + Math.round((f.pts / video.rate) * 90000);
    const parts = vp8Payloads(f.data);
    queue.push({
      at: f.pts / video.rate,
      send: () => {
        parts.forEach((p, i) => {
          const header = new RtpHeader({
            sequenceNumber: vSeq++ & 0xffff,
            timestamp: ts,
            marker: i === parts.length - 1,
          });
          void vSender.sendRtp(new RtpPacket(header, p));
        });
      },
    });
  });
  // decoded Opus lags its input by the pre-skip: a packet's RTP time is that of the input its output starts with
  audio.packets.forEach((p, k) => {
    const ts = AUDIO_TS0 + k * 960 - audio.preSkip;
    queue.push({
      at: ((k + 1) * 960) / 48000,
      send: () => void aSender.sendRtp(new RtpPacket(new RtpHeader({ sequenceNumber: k & 0xffff, timestamp: ts }), p)),
    });
  });
  queue.sort((a, b) => a.at - b.at);
  const done = new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const now = (performance.timeOrigin + performance.now() - wall0) / 1000;
      while (queue.length && (queue[0] as Due).at <= now) (queue.shift() as Due).send();
      if (!queue.length) {
        clearInterval(timer);
        resolve();
      }
    }, 5);
  });
  return {
    location,
    done,
    close: async () => {
      await fetch(location, { method: 'DELETE' }).catch(() => undefined);
      await pc.close();
    },
  };
}
