#!/usr/bin/python3
"""A real RTSP camera for tests: GStreamer's RTSP server with a synthetic picture.

Run with the system python (python3-gi, gir1.2-gst-rtsp-server-1.0):

    /usr/bin/python3 test/support/rtsp-camera.py --port 0 --path /cam --key-int 10 --audio aac

Prints "READY <port>" on stdout once it is listening (port 0 picks a free one), then serves until
SIGTERM/SIGINT or until its stdin closes (so it never outlives the test process that started it).
"""

import argparse
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def video_branch(args):
    raw = (
        f"videotestsrc is-live=true pattern={args.pattern} ! "
        f"video/x-raw,format=I420,width={args.width},height={args.height},framerate={args.fps}/1"
    )
    if args.codec == "h264":
        enc = (
            f"x264enc tune=zerolatency speed-preset=ultrafast aud=false key-int-max={args.key_int} "
            f"bitrate={args.bitrate_kbit} ! video/x-h264,profile=baseline ! h264parse ! "
            "identity name=stamp ! rtph264pay name=pay0 pt=96 config-interval=0"
        )
    elif args.codec == "h265":
        enc = (
            f"x265enc tune=zerolatency speed-preset=ultrafast key-int-max={args.key_int} "
            f"bitrate={args.bitrate_kbit} ! h265parse ! rtph265pay name=pay0 pt=96"
        )
    elif args.codec == "mjpeg":
        enc = "jpegenc quality=50 ! rtpjpegpay name=pay0 pt=26"
    elif args.codec == "mpeg4":
        enc = (
            f"avenc_mpeg4 gop-size={args.key_int} bitrate={args.bitrate_kbit * 1000} ! "
            "rtpmp4vpay name=pay0 pt=96 config-interval=1"
        )
    else:
        raise SystemExit(f"unknown codec {args.codec}")
    return f"{raw} ! {enc}"


def audio_branch(args):
    src = "audiotestsrc is-live=true wave=sine freq=440 volume=0.2 ! audioconvert ! audioresample"
    if args.audio == "aac":
        return (
            f"{src} ! audio/x-raw,rate={args.audio_rate},channels={args.audio_channels} ! "
            f"voaacenc bitrate={args.audio_bitrate_kbit * 1000} ! aacparse ! "
            "rtpmp4gpay name=pay1 pt=97"
        )
    if args.audio == "pcma":
        return f"{src} ! audio/x-raw,rate=8000,channels=1 ! alawenc ! rtppcmapay name=pay1 pt=8"
    return ""


def main():
    parser = argparse.ArgumentParser(description="RTSP test camera")
    parser.add_argument("--port", type=int, default=0, help="TCP port; 0 picks a free one")
    parser.add_argument("--bind", default="127.0.0.1")
    parser.add_argument("--path", default="/cam")
    parser.add_argument("--codec", choices=["h264", "h265", "mjpeg", "mpeg4"], default="h264")
    parser.add_argument("--width", type=int, default=320)
    parser.add_argument("--height", type=int, default=240)
    parser.add_argument("--fps", type=int, default=25)
    parser.add_argument("--key-int", type=int, default=25, help="frames between keyframes")
    parser.add_argument("--bitrate-kbit", type=int, default=400)
    parser.add_argument("--pattern", default="ball")
    parser.add_argument("--audio", choices=["none", "aac", "pcma"], default="none")
    parser.add_argument("--audio-rate", type=int, default=48000, help="AAC sample rate (Hz)")
    parser.add_argument("--audio-channels", type=int, default=1, help="AAC channels")
    parser.add_argument("--audio-bitrate-kbit", type=int, default=64, help="AAC bitrate")
    parser.add_argument("--user", default="")
    parser.add_argument("--password", default="")
    parser.add_argument(
        "--stall-after",
        type=float,
        default=0,
        help="H.264 only: after this many seconds of streaming, frames keep flowing but their "
        "timestamps stop advancing (a camera confused by a second client)",
    )
    args = parser.parse_args()

    Gst.init(None)
    launch = video_branch(args)
    audio = audio_branch(args)
    if audio:
        launch = f"{launch} {audio}"

    server = GstRtspServer.RTSPServer()
    server.set_address(args.bind)
    server.set_service(str(args.port))

    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(f"( {launch} )")
    factory.set_shared(True)

    if args.user:
        auth = GstRtspServer.RTSPAuth()
        token = GstRtspServer.RTSPToken()
        token.set_string("media.factory.role", "camera-user")
        auth.add_basic(GstRtspServer.RTSPAuth.make_basic(args.user, args.password), token)
        server.set_auth(auth)
        permissions = GstRtspServer.RTSPPermissions()
        permissions.add_role("camera-user")
        permissions.add_permission_for_role("camera-user", "media.factory.access", True)
        permissions.add_permission_for_role("camera-user", "media.factory.construct", True)
        factory.set_permissions(permissions)

    if args.stall_after > 0:

        def on_configure(_factory, media):
            stamp = media.get_element().get_by_name("stamp")
            if stamp is None:
                return
            state = {"first": None, "frozen": None}

            def probe(_pad, info):
                buf = info.get_buffer()
                if buf is None or buf.pts == Gst.CLOCK_TIME_NONE:
                    return Gst.PadProbeReturn.OK
                if state["first"] is None:
                    state["first"] = buf.pts
                if buf.pts - state["first"] >= args.stall_after * Gst.SECOND:
                    if state["frozen"] is None:
                        state["frozen"] = buf.pts
                    buf.pts = state["frozen"]
                    buf.dts = state["frozen"]
                return Gst.PadProbeReturn.OK

            stamp.get_static_pad("src").add_probe(Gst.PadProbeType.BUFFER, probe)

        factory.connect("media-configure", on_configure)

    server.get_mount_points().add_factory(args.path, factory)

    loop = GLib.MainLoop()
    if server.attach(None) == 0:
        print(f"ERROR cannot listen on {args.bind}:{args.port}", file=sys.stderr, flush=True)
        sys.exit(2)

    def quit_loop(*_):
        loop.quit()
        return False

    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, quit_loop)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, quit_loop)

    def on_stdin(_source, condition):
        if condition & (GLib.IOCondition.HUP | GLib.IOCondition.ERR):
            loop.quit()
            return False
        data = sys.stdin.buffer.read1(4096) if hasattr(sys.stdin.buffer, "read1") else b""
        if not data:
            loop.quit()
            return False
        return True

    GLib.io_add_watch(
        GLib.IOChannel.unix_new(sys.stdin.fileno()),
        GLib.PRIORITY_DEFAULT,
        GLib.IOCondition.IN | GLib.IOCondition.HUP | GLib.IOCondition.ERR,
        on_stdin,
    )

    print(f"READY {server.get_bound_port()}", flush=True)
    loop.run()


if __name__ == "__main__":
    main()
