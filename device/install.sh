#!/usr/bin/env bash
# Install edgedigit's device runtime (no TensorFlow) into a venv, self-test it, optionally as a service.
#
#   sudo ./install.sh                      # venv in /opt/edgedigit, from this checkout
#   ./install.sh --prefix ~/edgedigit      # anywhere you can write
#   ./install.sh --from wheel.whl | --from pypi | --from /path/to/checkout
#   sudo ./install.sh --service            # also install and enable edgedigit-camera.service
#   sudo ./install.sh --uninstall [--prefix P]   # only a prefix that carries this script's marker
#
# On a Raspberry Pi (or with --picamera) the venv sees the system's site-packages and python3-picamera2 is
# installed from apt, for `--camera picam`; numpy stays < 2 there, as Debian's picamera2 is built for 1.x.
# Idempotent: a second run with the same arguments changes nothing.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
prefix=${EDGEDIGIT_PREFIX:-/opt/edgedigit}
source_spec="$here/.."
service=0
uninstall=0
picamera=auto
marker_name=.edgedigit-install  # written into every prefix this script makes; --uninstall removes only those
python=${PYTHON:-python3}
unit_dir=${EDGEDIGIT_UNIT_DIR:-/etc/systemd/system}
conf_dir=${EDGEDIGIT_CONF_DIR:-/etc/edgedigit}

die() { echo "install.sh: error: $*" >&2; exit 1; }
step() { echo "==> $*"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix=${2:?--prefix needs a folder}; shift 2 ;;
    --from) source_spec=${2:?--from needs a wheel, a checkout or 'pypi'}; shift 2 ;;
    --service) service=1; shift ;;
    --uninstall) uninstall=1; shift ;;
    --picamera) picamera=1; shift ;;
    --no-picamera) picamera=0; shift ;;
    --python) python=${2:?--python needs an interpreter}; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done

marker="$prefix/$marker_name"
ours() { [ -f "$marker" ] || [ -f "$prefix/.edgedigit-installed-from" ]; }  # the second: installs before the marker

if [ "$uninstall" = 1 ]; then
  if [ -e "$prefix" ] && ! ours; then
    die "$prefix was not made by install.sh (no $marker_name in it): not removing it"
  fi
  if [ -f "$unit_dir/edgedigit-camera.service" ]; then
    step "removing edgedigit-camera.service"
    systemctl disable --now edgedigit-camera.service 2>/dev/null || true
    rm -f "$unit_dir/edgedigit-camera.service"
    systemctl daemon-reload 2>/dev/null || true
  fi
  if [ -e "$prefix" ]; then
    step "removing $prefix"
    rm -rf "$prefix"
  fi
  echo "uninstalled (settings in $conf_dir are kept; remove them by hand if you want)"
  exit 0
fi

if [ "$picamera" = auto ]; then
  picamera=0
  if grep -qs "Raspberry Pi" /proc/device-tree/model; then picamera=1; fi
fi
case "$service:$prefix" in
  1:/home/*|1:/root/*) die "the service cannot run from $prefix (the unit's ProtectHome hides it): use the default prefix" ;;
esac
if [ -e "$prefix" ] && [ -n "$(ls -A "$prefix" 2>/dev/null)" ] && ! ours; then
  die "$prefix exists and is not an edgedigit install: choose an empty or new --prefix"
fi

command -v "$python" >/dev/null || die "$python not found: install python3 and python3-venv"
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 10))' || die "Python 3.10 or newer is needed"

case "$source_spec" in
  pypi) spec="edgedigit[device]"; fingerprint="pypi" ;;
  *.whl) [ -f "$source_spec" ] || die "wheel $source_spec not found"
         spec="$(cd "$(dirname "$source_spec")" && pwd)/$(basename "$source_spec")[device]"
         fingerprint=$(sha256sum "$source_spec" | cut -d' ' -f1) ;;
  *) [ -f "$source_spec/pyproject.toml" ] || die "$source_spec is not an edgedigit checkout"
     spec="$(cd "$source_spec" && pwd)[device]"
     # pip reinstalls a local folder every time; a digest of its sources lets a re-run change nothing
     fingerprint=$(cd "$source_spec" && find pyproject.toml edgedigit converters -type f ! -path '*__pycache__*' -print0 \
                   | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1) ;;
esac
stamp="$prefix/.edgedigit-installed-from"

venv_options=()
pins=()
if [ "$picamera" = 1 ]; then
  if ! "$python" -c 'import picamera2' 2>/dev/null; then
    step "installing python3-picamera2 (apt) for --camera picam"
    apt-get install -y -qq python3-picamera2 >/dev/null \
      || die "could not install python3-picamera2: run with sudo, or apt install python3-picamera2 yourself"
  fi
  venv_options=(--system-site-packages)  # picamera2 and libcamera's bindings come from apt, not pip
  pins=("numpy<2")  # Debian's picamera2 (simplejpeg) is built against numpy 1.x
fi

if [ ! -x "$prefix/bin/python" ]; then
  step "creating venv $prefix"
  mkdir -p "$(dirname "$prefix")" || die "cannot create $(dirname "$prefix") (run with sudo, or --prefix)"
  "$python" -m venv "${venv_options[@]}" "$prefix" || die "venv creation failed: install python3-venv"
fi
[ -f "$marker" ] || echo "made by edgedigit's device/install.sh; --uninstall removes this folder" > "$marker"

# The interpreter backend: ai-edge-litert where it has a wheel, else tflite-runtime 2.14 (Python <= 3.11, numpy < 2).
if [ "$fingerprint" != pypi ] && [ "$(cat "$stamp" 2>/dev/null)" = "$fingerprint" ]; then
  step "edgedigit already installed from these sources: nothing to install"
else
  step "installing $spec"
  "$prefix/bin/python" -m pip install --quiet --disable-pip-version-check "$spec" "${pins[@]}" \
    || die "pip install failed (see above)"
fi
if ! "$prefix/bin/python" -c 'import ai_edge_litert.interpreter' 2>/dev/null; then
  "$prefix/bin/python" -c 'import sys; sys.exit(sys.version_info >= (3, 12))' \
    || die "no ai-edge-litert wheel for this platform and tflite-runtime needs Python <= 3.11"
  step "ai-edge-litert unavailable here: installing tflite-runtime 2.14 with numpy < 2"
  "$prefix/bin/python" -m pip install --quiet --disable-pip-version-check "tflite-runtime==2.14.*" "numpy<2" \
    || die "could not install tflite-runtime"
fi
if "$prefix/bin/python" -c 'import tensorflow' 2>/dev/null; then
  die "TensorFlow ended up in $prefix: the device install must not pull it in"
fi
[ "$(cat "$stamp" 2>/dev/null)" = "$fingerprint" ] || echo "$fingerprint" > "$stamp"

step "self-test"
"$prefix/bin/edgedigit" info >/dev/null || die "edgedigit info failed"
sample=$("$prefix/bin/python" -c 'from importlib import resources; print(resources.files("edgedigit") / "samples" / "digit_7.jpg")')
got=$("$prefix/bin/edgedigit" classify "$sample" --json | "$prefix/bin/python" -c 'import json, sys; print(json.load(sys.stdin)["number"])')
[ "$got" = "7" ] || die "self-test read '$got' from the bundled sample, expected 7"
echo "    bundled sample read as 7"

if [ "$service" = 1 ]; then
  step "installing edgedigit-camera.service"
  id -u edgedigit >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin --groups video edgedigit \
    || die "could not create the edgedigit user"
  mkdir -p "$conf_dir"
  [ -f "$conf_dir/edgedigit.env" ] || install -m 0644 "$here/edgedigit.env" "$conf_dir/edgedigit.env"
  sed "s#@PREFIX@#$prefix#g; s#@CONF@#$conf_dir#g" "$here/edgedigit-camera.service" > "$unit_dir/edgedigit-camera.service.new"
  if ! cmp -s "$unit_dir/edgedigit-camera.service.new" "$unit_dir/edgedigit-camera.service" 2>/dev/null; then
    mv "$unit_dir/edgedigit-camera.service.new" "$unit_dir/edgedigit-camera.service"
    systemctl daemon-reload
  else
    rm -f "$unit_dir/edgedigit-camera.service.new"
  fi
  systemctl enable --now edgedigit-camera.service || die "systemctl could not start the service: journalctl -u edgedigit-camera"
fi

size=$(du -sm "$prefix" | cut -f1)
echo "installed edgedigit in $prefix (${size} MB); run: $prefix/bin/edgedigit classify photo.jpg"
