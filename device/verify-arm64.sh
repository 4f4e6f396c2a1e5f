#!/usr/bin/env bash
# Prove the device runtime works on aarch64 without a Pi: a Debian 12 arm64 sysroot with Python 3.11
# (Debian's own packages, unpacked with dpkg -x, never into /), the real aarch64 wheels, and qemu-user
# emulating a Pi 4 (cortex-a72) and a Pi 5 (cortex-a76). The digits read there must equal those read on
# this machine. Emulated timings say nothing about a real Pi; they are printed only as a sanity figure.
#
#   device/verify-arm64.sh [WORKDIR]        (default: build/arm64; CPUS="cortex-a72 cortex-a76")
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mkdir -p "${1:-$root/build/arm64}" && cd "${1:-$root/build/arm64}" && pwd)
cpus=${CPUS:-"cortex-a72 cortex-a76"}
python=${PYTHON:-python3}  # the host interpreter with edgedigit[device] installed
sysroot=$work/sysroot
site=$work/site
started=$(date +%s)

die() { echo "verify-arm64: error: $*" >&2; exit 1; }
step() { echo "==> $*"; }

if ! command -v qemu-aarch64-static >/dev/null; then
  step "installing qemu-user-static"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-user-static >/dev/null; } \
    || die "qemu-user-static is needed (apt-get install qemu-user-static, as root)"
fi

# --- 1. arm64 sysroot from Debian's packages, with a private apt state -------------------------------
if [ ! -x "$sysroot/usr/bin/python3.11" ]; then
  step "downloading Debian 12 arm64 python3.11 and its dependencies"
  mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | grep -v security | head -n1)
  [ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $0 !~ /security/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null)
  [ -n "$mirror" ] || die "no Debian mirror found in this machine's apt sources"
  apt_dir=$work/apt
  mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial" "$apt_dir/etc"
  : > "$apt_dir/status"
  echo "deb [arch=arm64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror bookworm main" \
    > "$apt_dir/etc/sources.list"
  apt_opts=(-o "Dir::Etc::SourceList=$apt_dir/etc/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
            -o "Dir::State=$apt_dir" -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::State::status=$apt_dir/status"
            -o "Dir::Cache=$apt_dir" -o "Dir::Cache::Archives=$apt_dir/archives"
            -o "APT::Architecture=arm64" -o "APT::Architectures::=arm64" -o "Debug::NoLocking=1"
            -o "APT::Sandbox::User=root")
  apt-get "${apt_opts[@]}" update -qq || die "apt-get update for arm64 failed"
  # python3.11's closure lacks libstdc++6, which the interpreter backend and OpenCV need.
  apt-get "${apt_opts[@]}" install -y -qq --download-only python3.11 libstdc++6 libgcc-s1 zlib1g >/dev/null \
    || die "downloading arm64 packages failed"
  mkdir -p "$sysroot"
  for deb in "$apt_dir"/archives/*.deb; do dpkg -x "$deb" "$sysroot"; done
  echo "    $(ls "$apt_dir"/archives/*.deb | wc -l) packages unpacked into $sysroot"
fi

# --- 2. the real aarch64 wheels --------------------------------------------------------------------
if [ ! -d "$site/edgedigit" ] || [ "$root/pyproject.toml" -nt "$site/.stamp" ] || [ -n "$(find "$root/edgedigit" -newer "$site/.stamp" -print -quit 2>/dev/null)" ]; then
  step "installing edgedigit[device] aarch64 wheels (cp311) into $site"
  rm -rf "$site" "$work/dist"
  "$python" -m pip wheel --quiet --no-deps --wheel-dir "$work/dist" "$root" >/dev/null || die "building the edgedigit wheel failed"
  platforms=(--platform manylinux2014_aarch64)
  for v in $(seq 17 36); do platforms+=(--platform "manylinux_2_${v}_aarch64"); done
  "$python" -m pip install --quiet --disable-pip-version-check --target "$site" "${platforms[@]}" \
    --python-version 3.11 --implementation cp --abi cp311 --only-binary=:all: \
    "$(ls "$work"/dist/edgedigit-*.whl)[device]" 2>&1 | grep -vE "^WARNING|dependency resolver|requires" || true
  [ -d "$site/edgedigit" ] && [ -d "$site/ai_edge_litert" ] || die "aarch64 wheels did not install"
  if [ -d "$site/tensorflow" ]; then die "TensorFlow ended up in the device install"; fi
  touch "$site/.stamp"
fi
site_mb=$(du -sm "$site" | cut -f1)

# --- 3. run the same commands under qemu and here, compare ------------------------------------------
samples=("$root"/edgedigit/samples/*.jpg)
if [ -f "${EDGEDIGIT_DATA:-}" ]; then  # plus 100 real MNIST test digits as image files
  mkdir -p "$work/mnist"
  "$python" - "$EDGEDIGIT_DATA" "$work/mnist" <<'PY'
import sys, numpy as np, cv2
x = np.load(sys.argv[1])["x_test"]
for i in range(100):
    cv2.imwrite(f"{sys.argv[2]}/{i:03d}.png", x[i])
PY
  samples+=("$work"/mnist/*.png)
fi
host_out=$(cd "$work" && PYTHONPATH="$root" "$python" -m edgedigit classify --json "${samples[@]}" 2>/dev/null) \
  || die "classify failed on this machine"
host_digits=$(echo "$host_out" | "$python" -c 'import json,sys; print(" ".join(str(json.loads(l)["number"]) for l in sys.stdin))')

cpuinfo() {  # a Raspberry Pi-like /proc/cpuinfo for the emulated core (qemu passes the host's otherwise)
  local part=$1 features=$2
  for i in 0 1 2 3; do
    printf 'processor\t: %s\nBogoMIPS\t: 108.00\nFeatures\t: %s\nCPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x%s\nCPU part\t: %s\nCPU revision\t: %s\n\n' \
      "$i" "$features" "$3" "$part" "$4"
  done
  printf 'Hardware\t: BCM2835\nModel\t\t: %s\n' "$5"
}

for cpu in $cpus; do
  mkdir -p "$sysroot/proc"
  case "$cpu" in
    cortex-a72) cpuinfo 0xd08 "fp asimd evtstrm crc32 cpuid" 0 3 "Raspberry Pi 4 Model B Rev 1.5" > "$sysroot/proc/cpuinfo" ;;
    cortex-a76) cpuinfo 0xd0b "fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp" 4 1 "Raspberry Pi 5 Model B Rev 1.0" > "$sysroot/proc/cpuinfo" ;;
    *) die "unknown CPU profile $cpu (cortex-a72 or cortex-a76)" ;;
  esac
  run() {
    (cd "$work" && env -i PATH=/usr/bin:/bin HOME="$work" PYTHONPATH="$site" PYTHONNOUSERSITE=1 LC_ALL=C.UTF-8 \
      qemu-aarch64-static -cpu "$cpu" -L "$sysroot" "$sysroot/usr/bin/python3.11" -m edgedigit "$@")
  }
  step "$cpu: edgedigit info"
  arch=$(run info | "$python" -c 'import json,sys; d=json.load(sys.stdin); print(d["cpu"]["machine"], d["model"]["backend"])') \
    || die "$cpu: edgedigit info failed"
  echo "    $arch"
  [ "${arch%% *}" = aarch64 ] || die "$cpu: not running as aarch64 ($arch)"
  step "$cpu: edgedigit classify --json on ${#samples[@]} samples"
  arm_out=$(run classify --json "${samples[@]}") || die "$cpu: classify failed"
  arm_digits=$(echo "$arm_out" | "$python" -c 'import json,sys; print(" ".join(str(json.loads(l)["number"]) for l in sys.stdin))')
  echo "    aarch64: ${arm_digits:0:60}..."
  echo "    x86-64:  ${host_digits:0:60}..."
  [ "$arm_digits" = "$host_digits" ] || die "$cpu: aarch64 read '$arm_digits', this machine read '$host_digits'"
  step "$cpu: edgedigit bench (emulated: a sanity figure only)"
  run bench --repeat 20 --batch 16 | sed 's/^/    /' || die "$cpu: bench failed"
done

echo "verify-arm64: OK for $cpus; device site-packages on aarch64: ${site_mb} MB; took $(( $(date +%s) - started )) s"
