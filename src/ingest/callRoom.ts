/**
 * A call room: a small SFU on werift. Every participant publishes audio+video on its own peer connection (the
 * client offers, the server answers) and receives each other participant on one more peer connection per
 * (subscriber, publisher) pair (the server offers, the client answers).
 *
 * Why a PC per pair instead of one PC per participant with transceivers added as people join: every offer then
 * goes one way only (no renegotiation, no glare between a client's offer and a server-initiated one), a pair is
 * set up and torn down on its own when someone joins or leaves, and each subscription PC carries exactly the
 * publisher's negotiated codec so forwarded RTP needs no transcoding. The cost (one more DTLS/ICE per pair) is
 * small for the few participants a room allows (config.maxSessionsPerRoom).
 *
 * Forwarding: the publisher's RTP is handed to each subscription's werift sender, which copies the packet and
 * rewrites SSRC, payload type, sequence number and timestamp offsets; its packet history answers the
 * subscriber's NACKs. A subscriber's PLI/FIR, a new subscription coming up, and the analysis decoder all ask the
 * publisher for a keyframe (rate-limited). The publish PC negotiates NACK/PLI (ingest's peer factory).
 *
 * Each publishing participant is also a MediaSource (kind 'call', streamId `<room>-<participantId>`), handed to
 * `onSource` (the server announces it on the SourceHub). Leaving, a socket disconnect, no packets for `timeoutS`
 * or ICE failure ends that participant only.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import {
  PictureLossIndication,
  RTCPeerConnection,
  RTCRtpCodecParameters,
  type RTCRtpReceiver,
  type RTCRtpSender,
  RtcpPayloadSpecificFeedback,
  type RtpPacket,
} from 'werift';
import { withBitrateHints } from './bitrateHints.ts';
import { CallSource } from './callSource.ts';
import type { EndReason, MediaSource } from './mediaSource.ts';
import { createPublishPeer } from './peerFactory.ts';

export interface CallRoomOptions {
  room: string;
  maxParticipants: number;
  /** end a participant after this long without packets from it (counted from its publish) */
  timeoutS: number;
  /** analysis decoding; null = forward only (no MediaSource) */
  analysis: { ffmpeg: string; width: number; height: number } | null;
  onSource?: (source: MediaSource) => void;
  onLog?: (msg: string, extra?: Record<string, unknown>) => void;
}

export interface ParticipantInfo {
  id: string;
  name: string;
}

/** Server → participant messages (the signalling layer sends them over its socket). */
export interface CallRoomEvents {
  offer: [to: string, msg: { subscriptionId: string; publisherId: string; name: string; sdp: string }];
  'participant-joined': [p: ParticipantInfo];
  'participant-left': [p: ParticipantInfo & { reason: EndReason; message?: string }];
  empty: [];
}

const KEYFRAME_MIN_INTERVAL_MS = 300;

async function gathered(pc: RTCPeerConnection, timeoutMs = 3000): Promise<void> {
  if (pc.iceGatheringState === 'complete') return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(done, timeoutMs);
    const sub = pc.iceGatheringStateChange.subscribe((st) => {
      if (st === 'complete') done();
    });
    function done() {
      clearTimeout(timer);
      sub.unSubscribe();
      resolve();
    }
  });
}

interface Publication {
  video: { codec: RTCRtpCodecParameters; receiver: RTCRtpReceiver; ssrc?: number } | null;
  audio: { codec: RTCRtpCodecParameters } | null;
}

class Subscription {
  readonly id = randomUUID();
  video: RTCRtpSender | undefined;
  audio: RTCRtpSender | undefined;
  connected = false;

  constructor(
    readonly publisher: Participant,
    readonly subscriber: Participant,
    readonly pc: RTCPeerConnection,
  ) {}
}

class Participant {
  readonly id = randomUUID().slice(0, 8);
  pc: RTCPeerConnection | undefined;
  publication: Publication | undefined;
  source: CallSource | undefined;
  lastPacket = performance.now();
  lastKeyframeRequest = 0;
  packets = { video: 0, audio: 0 };
  watchdog: NodeJS.Timeout | undefined;
  /** subscriptions that carry this participant's media to others */
  readonly outgoing = new Set<Subscription>();
  /** subscriptions this participant receives */
  readonly incoming = new Map<string, Subscription>();

  constructor(readonly name: string) {}

  info(): ParticipantInfo {
    return { id: this.id, name: this.name };
  }
}

function cloneCodec(c: RTCRtpCodecParameters): RTCRtpCodecParameters {
  return new RTCRtpCodecParameters({
    mimeType: c.mimeType,
    clockRate: c.clockRate,
    channels: c.channels,
    rtcpFeedback: c.rtcpFeedback,
    parameters: c.parameters,
  });
}

export class CallRoom extends EventEmitter<CallRoomEvents> {
  private readonly participants = new Map<string, Participant>();
  private closed = false;

  constructor(private readonly opts: CallRoomOptions) {
    super();
  }

  get room(): string {
    return this.opts.room;
  }

  get size(): number {
    return this.participants.size;
  }

  list(): ParticipantInfo[] {
    return [...this.participants.values()].map((p) => p.info());
  }

  /** Adds a participant; throws when the room is full. Subscriptions to existing publishers are offered at once. */
  join(name: string): ParticipantInfo {
    if (this.closed) throw new Error('room is closed');
    if (this.participants.size >= this.opts.maxParticipants)
      throw new Error(`room ${this.opts.room} is full (${this.opts.maxParticipants} participants)`);
    const p = new Participant(name);
    this.participants.set(p.id, p);
    this.emit('participant-joined', p.info());
    for (const other of this.participants.values()) {
      if (other !== p && other.publication) void this.subscribe(p, other);
    }
    return p.info();
  }

  private get(id: string): Participant {
    const p = this.participants.get(id);
    if (!p) throw new Error(`unknown participant ${id}`);
    return p;
  }

  /** The participant's publish offer (audio and/or video) → the server's answer with its candidates and bitrate hints. */
  async publish(id: string, offer: string): Promise<string> {
    const p = this.get(id);
    if (p.pc) throw new Error('already publishing');
    const pc = createPublishPeer();
    p.pc = pc;
    pc.connectionStateChange.subscribe((state) => {
      if (state === 'failed') this.leave(id, 'ice-failed', 'ICE connection failed');
    });
    // tracks are announced during setRemoteDescription: subscribe before it
    pc.ontrack = ({ track }) => {
      track.onReceiveRtp.subscribe((rtp: RtpPacket) => this.onRtp(p, track.kind === 'video' ? 'video' : 'audio', rtp));
    };
    try {
      await pc.setRemoteDescription({ type: 'offer', sdp: offer });
      const answer = await pc.createAnswer();
      await pc.setLocalDescription(answer);
      await gathered(pc);
    } catch (err) {
      this.leave(id, 'error', (err as Error).message);
      throw err;
    }
    if (!this.participants.has(id)) throw new Error('participant left');
    const publication: Publication = { video: null, audio: null };
    for (const t of pc.getTransceivers()) {
      const codec = t.codecs[0];
      if (!codec || !(t.direction === 'recvonly' || t.direction === 'sendrecv')) continue;
      if (t.kind === 'video' && !publication.video) publication.video = { codec, receiver: t.receiver };
      if (t.kind === 'audio' && !publication.audio) publication.audio = { codec };
    }
    if (!publication.video && !publication.audio) {
      this.leave(id, 'error', 'the offer publishes no supported audio or video');
      throw new Error('the offer publishes no supported audio or video');
    }
    p.publication = publication;
    if (this.opts.analysis) {
      const videoCodec = publication.video
        ? publication.video.codec.mimeType.toLowerCase().includes('h264')
          ? 'H264'
          : 'VP8'
        : null;
      const source = new CallSource(
        {
          streamId: `${this.opts.room}-${p.id}`,
          room: this.opts.room,
          ...this.opts.analysis,
          requestKeyframe: () => this.requestKeyframe(p),
          onLog: this.opts.onLog,
        },
        videoCodec,
        !!publication.audio,
      );
      source.onStop = (reason, message) => this.leave(id, reason, message);
      p.source = source;
      this.opts.onSource?.(source);
    }
    p.lastPacket = performance.now();
    p.watchdog = setInterval(() => {
      if ((performance.now() - p.lastPacket) / 1000 > this.opts.timeoutS)
        this.leave(id, 'timeout', `no packets for ${this.opts.timeoutS} s`);
    }, 1000);
    p.watchdog.unref();
    for (const other of this.participants.values()) {
      if (other !== p) void this.subscribe(other, p);
    }
    const sdp = pc.localDescription?.sdp;
    if (!sdp) throw new Error('no local description');
    return withBitrateHints(sdp);
  }

  private onRtp(p: Participant, kind: 'video' | 'audio', rtp: RtpPacket): void {
    if (!this.participants.has(p.id) || !p.publication) return;
    p.lastPacket = performance.now();
    p.packets[kind]++;
    if (kind === 'video' && p.publication?.video) p.publication.video.ssrc ??= rtp.header.ssrc;
    for (const sub of p.outgoing) {
      const sender = kind === 'video' ? sub.video : sub.audio;
      // the sender copies the packet before rewriting SSRC/PT/sequence: one packet serves every subscriber
      if (sender && sub.connected) void sender.sendRtp(rtp).catch(() => undefined);
    }
    if (kind === 'video') p.source?.pushVideo(rtp);
    else p.source?.pushAudio(rtp);
  }

  private requestKeyframe(p: Participant): void {
    const v = p.publication?.video;
    if (!v?.ssrc) return;
    const now = performance.now();
    if (now - p.lastKeyframeRequest < KEYFRAME_MIN_INTERVAL_MS) return;
    p.lastKeyframeRequest = now;
    void v.receiver.sendRtcpPLI(v.ssrc).catch(() => undefined);
  }

  /** Offers `subscriber` a PC that carries `publisher`'s media. */
  private async subscribe(subscriber: Participant, publisher: Participant): Promise<void> {
    const pub = publisher.publication;
    if (!pub) return;
    const pc = new RTCPeerConnection({
      codecs: {
        video: pub.video ? [cloneCodec(pub.video.codec)] : [],
        audio: pub.audio ? [cloneCodec(pub.audio.codec)] : [],
      },
      headerExtensions: { video: [], audio: [] },
      iceAdditionalHostAddresses: ['127.0.0.1'],
      iceUseIpv6: false,
    });
    const sub = new Subscription(publisher, subscriber, pc);
    subscriber.incoming.set(sub.id, sub);
    publisher.outgoing.add(sub);
    if (pub.audio) sub.audio = pc.addTransceiver('audio', { direction: 'sendonly' }).sender;
    if (pub.video) {
      sub.video = pc.addTransceiver('video', { direction: 'sendonly' }).sender;
      sub.video.onRtcp.subscribe((rtcp) => {
        if (
          rtcp instanceof RtcpPayloadSpecificFeedback &&
          (rtcp.feedback instanceof PictureLossIndication || rtcp.feedback.count === 4) // PLI or FIR
        )
          this.requestKeyframe(publisher);
      });
    }
    pc.connectionStateChange.subscribe((state) => {
      if (state === 'connected') {
        sub.connected = true;
        // the new subscriber can only start decoding at a keyframe; ask twice in case the first is lost
        this.requestKeyframe(publisher);
        setTimeout(() => {
          publisher.lastKeyframeRequest = 0;
          this.requestKeyframe(publisher);
        }, 1000).unref();
      }
      if (state === 'failed') this.endSubscription(sub);
    });
    try {
      await pc.setLocalDescription(await pc.createOffer());
      await gathered(pc);
      const sdp = pc.localDescription?.sdp;
      if (!sdp) throw new Error('no local description');
      if (!subscriber.incoming.has(sub.id)) return;
      this.emit('offer', subscriber.id, {
        subscriptionId: sub.id,
        publisherId: publisher.id,
        name: publisher.name,
        sdp,
      });
    } catch (err) {
      this.opts.onLog?.(`subscription offer failed: ${(err as Error).message}`, { room: this.opts.room });
      this.endSubscription(sub);
    }
  }

  /** The subscriber's answer to a subscription offer. */
  async answer(id: string, subscriptionId: string, sdp: string): Promise<void> {
    const sub = this.get(id).incoming.get(subscriptionId);
    if (!sub) throw new Error(`unknown subscription ${subscriptionId}`);
    await sub.pc.setRemoteDescription({ type: 'answer', sdp });
  }

  /** A trickled candidate for the publish PC (`target` 'publish') or a subscription. */
  async candidate(id: string, target: string, candidate: string, sdpMid?: string | null): Promise<void> {
    const p = this.get(id);
    const pc = target === 'publish' ? p.pc : p.incoming.get(target)?.pc;
    if (!pc) throw new Error(`unknown target ${target}`);
    await pc.addIceCandidate({ candidate, sdpMid: sdpMid ?? undefined, sdpMLineIndex: 0 });
  }

  private endSubscription(sub: Subscription): void {
    sub.publisher.outgoing.delete(sub);
    sub.subscriber.incoming.delete(sub.id);
    sub.connected = false;
    void sub.pc.close().catch(() => undefined);
  }

  /** Ends one participant (its stream, its PCs, the subscriptions to and from it); the others go on. */
  leave(id: string, reason: EndReason, message?: string): void {
    const p = this.participants.get(id);
    if (!p) return;
    this.participants.delete(id);
    clearInterval(p.watchdog);
    for (const sub of [...p.outgoing, ...p.incoming.values()]) this.endSubscription(sub);
    const source = p.source;
    p.source = undefined;
    if (source) {
      source.onStop = undefined;
      void source.stop(reason, message);
    }
    void p.pc?.close().catch(() => undefined);
    this.opts.onLog?.('participant left', { room: this.opts.room, participant: id, reason, message });
    this.emit('participant-left', { ...p.info(), reason, message });
    if (this.participants.size === 0) this.emit('empty');
  }

  stats(id: string): { video: number; audio: number; subscriptions: number; framesDecoded: number } | undefined {
    const p = this.participants.get(id);
    if (!p) return undefined;
    return { ...p.packets, subscriptions: p.outgoing.size, framesDecoded: p.source?.framesDecoded ?? 0 };
  }

  close(reason: EndReason = 'shutdown'): void {
    this.closed = true;
    for (const id of [...this.participants.keys()]) this.leave(id, reason);
  }
}
