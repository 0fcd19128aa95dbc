/**
 * werift peer connections for publishing: H.264 (packetization-mode 1, any profile — OBS sends High) and VP8
 * video with NACK and PLI, Opus audio. No transport-cc: negotiating it made Chrome's bitrate collapse to ~50 kbps.
 * Loopback host candidates are added so that local publishers (tests, OBS on the same machine) can connect.
 */
import { RTCPeerConnection, RTCRtpCodecParameters } from 'werift';

const feedback = [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }];

export function createPublishPeer(): RTCPeerConnection {
  return new RTCPeerConnection({
    codecs: {
      video: [
        new RTCRtpCodecParameters({
          mimeType: 'video/H264',
          clockRate: 90000,
          rtcpFeedback: feedback,
          parameters: 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
        }),
        new RTCRtpCodecParameters({ mimeType: 'video/VP8', clockRate: 90000, rtcpFeedback: feedback }),
      ],
      audio: [new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48000, channels: 2 })],
    },
    headerExtensions: { video: [], audio: [] },
    iceAdditionalHostAddresses: ['127.0.0.1'],
    iceUseIpv6: false,
  });
}
