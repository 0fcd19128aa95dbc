/** A browser page that publishes its camera and microphone over WHIP, for Chromium-driven tests and benches. */

/** The publisher page: getUserMedia → sendonly transceivers → WHIP POST (optionally H.264 only, candidates removed). */
export const WHIP_PUBLISH_PAGE = `<!doctype html><meta charset="utf-8"><title>publish</title><script>
window.publish = async (url, opts) => {
  const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480, frameRate: 30 }, audio: true });
  const pc = new RTCPeerConnection();
  for (const track of stream.getTracks()) {
    const tr = pc.addTransceiver(track, { direction: 'sendonly' });
    if (track.kind === 'video') {
      const p = tr.sender.getParameters();
      p.degradationPreference = 'maintain-framerate';
      await tr.sender.setParameters(p).catch(() => {});
    }
    if (opts.h264 && track.kind === 'video') {
      tr.setCodecPreferences(RTCRtpSender.getCapabilities('video').codecs.filter((c) => /h264/i.test(c.mimeType)));
    }
  }
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((r) => { if (pc.iceGatheringState === 'complete') r(); pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && r(); setTimeout(r, 2000); });
  let sdp = pc.localDescription.sdp;
  if (opts.stripCandidates) sdp = sdp.split('\\r\\n').filter((l) => !l.startsWith('a=candidate')).join('\\r\\n');
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: sdp });
  if (res.status !== 201) throw new Error('WHIP POST ' + res.status + ' ' + (await res.text()));
  window.whipLocation = new URL(res.headers.get('location'), url).href;
  await pc.setRemoteDescription({ type: 'answer', sdp: await res.text() });
  window.pc = pc;
  return window.whipLocation;
};
window.unpublish = async () => { const r = await fetch(window.whipLocation, { method: 'DELETE' }); window.pc.close(); return r.status; };
</script>`;
