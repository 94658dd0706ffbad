#!/usr/bin/env bash
# Installs what the test suites need on a fresh Debian machine (idempotent, quiet when all is there):
# ffmpeg, GStreamer's RTSP server (the camera in integration tests), Chromium (browser tests),
# and the npm dependencies. Starts the local PostgreSQL when it is installed but stopped.
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=()
command -v ffmpeg >/dev/null || need_pkgs+=(ffmpeg)
command -v chromium >/dev/null || need_pkgs+=(chromium)
command -v gst-launch-1.0 >/dev/null || need_pkgs+=(gstreamer1.0-tools)
command -v pdftoppm >/dev/null || need_pkgs+=(poppler-utils)   # the connection passport's PDF, rendered in tests
command -v mosquitto >/dev/null || need_pkgs+=(mosquitto)      # the MQTT broker analytics devices publish to
python3_sys=/usr/bin/python3
if ! "$python3_sys" -c 'import gi; gi.require_version("GstRtspServer","1.0"); from gi.repository import GstRtspServer' 2>/dev/null; then
  need_pkgs+=(python3-gi gir1.2-gst-rtsp-server-1.0 gir1.2-gstreamer-1.0 gstreamer1.0-rtsp
    gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav)
fi
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "== installing Debian packages: ${need_pkgs[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" fonts-dejavu-core >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # The lock file holds every platform's optional native packages (rollup, esbuild, sharp), so the
  # exact, reproducible `npm ci` works on a fresh clone.
  echo "== npm ci"
  npm ci --no-fund --no-audit
fi

if command -v pg_lsclusters >/dev/null && pg_lsclusters -h 2>/dev/null | grep -q down; then
  echo "== starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
fi

# Mosquitto on 127.0.0.1:1883 for the MQTT intake tests: started when installed but not listening.
if command -v mosquitto >/dev/null && ! (exec 3<>/dev/tcp/127.0.0.1/1883) 2>/dev/null; then
  echo "== starting Mosquitto"
  mosquitto -d -p 1883 || true
fi
