#!/usr/bin/python3
"""An OBS-like WHIP publisher for tests: GStreamer webrtcbin sending x264 H.264 + Opus with an offer that carries no
ICE candidates and never trickles (as OBS does). Usage: whipPublisher.py URL SECONDS [TOKEN]
Prints 'location <url>' after the POST and 'deleted <status>' after the DELETE at the end."""
import sys
import threading
import urllib.request

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstWebRTC", "1.0")
gi.require_version("GstSdp", "1.0")
from gi.repository import GLib, Gst, GstSdp, GstWebRTC  # noqa: E402

url, seconds = sys.argv[1], float(sys.argv[2])
token = sys.argv[3] if len(sys.argv) > 3 else None
Gst.init(None)
vsrc = "videotestsrc is-live=true pattern=ball"
asrc = "audiotestsrc is-live=true wave=sine freq=440 ! audioconvert ! audioresample"
pipe = Gst.parse_launch(
    "webrtcbin name=w bundle-policy=max-bundle "
    f"{vsrc} ! video/x-raw,width=640,height=480,framerate=30/1 ! videoconvert ! "
    "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=30 bitrate=1500 ! video/x-h264,profile=high ! "
    "rtph264pay config-interval=-1 pt=102 ! application/x-rtp,media=video,encoding-name=H264,payload=102,clock-rate=90000 ! w. "
    f"{asrc} ! opusenc ! "
    "rtpopuspay pt=111 ! application/x-rtp,media=audio,encoding-name=OPUS,payload=111,clock-rate=48000 ! w."
)
webrtc = pipe.get_by_name("w")
# libnice ignores loopback: keep a reference to the agent (dropping it destroys it) and add 127.0.0.1 ourselves
agent = webrtc.get_property("ice-agent")
agent.emit("add-local-ip-address", "127.0.0.1")
try:
    agent.get_property("agent").set_property("upnp", False)
except Exception:
    pass
loop = GLib.MainLoop()
location = None


def headers(ct=None):
    h = {}
    if ct:
        h["Content-Type"] = ct
    if token:
        h["Authorization"] = "Bearer " + token
    return h


def on_offer(promise, _):
    global location
    reply = promise.get_reply()
    offer = reply.get_value("offer")
    webrtc.emit("set-local-description", offer, Gst.Promise.new())
    sdp = offer.sdp.as_text()  # taken at once: no candidates in it, none trickled later
    req = urllib.request.Request(url, data=sdp.encode(), headers=headers("application/sdp"), method="POST")
    with urllib.request.urlopen(req) as r:
        base = url.split("/whip/")[0]
        location = base + r.headers["Location"]
        print("status", r.status, flush=True)
        print("location", location, flush=True)
        answer = r.read().decode()
    _, msg = GstSdp.SDPMessage.new_from_text(answer)
    webrtc.emit("set-remote-description", GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.ANSWER, msg), Gst.Promise.new())


def on_negotiation_needed(_):
    webrtc.emit("create-offer", None, Gst.Promise.new_with_change_func(on_offer, None))


def finish():
    if location:
        req = urllib.request.Request(location, headers=headers(), method="DELETE")
        try:
            with urllib.request.urlopen(req) as r:
                print("deleted", r.status, flush=True)
        except Exception as e:  # noqa: BLE001
            print("delete failed", e, flush=True)
    pipe.set_state(Gst.State.NULL)
    loop.quit()
    return False


webrtc.connect("on-negotiation-needed", on_negotiation_needed)
pipe.set_state(Gst.State.PLAYING)
GLib.timeout_add(int(seconds * 1000), finish)
threading.Timer(seconds + 10, lambda: sys.exit(3)).start()
loop.run()
sys.exit(0)
