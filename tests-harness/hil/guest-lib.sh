# Sourced by every scenario in the guest: the rig line to the host, the users, checks.
# A scenario is a bash script that exits 0 when every check held; `fail` says why and exits 1.
set -u
: "${HIL_SCENARIO:?}"
bin=$HIL_BIN/mfpbridge
seq=0

# Asks the host (rig.py) to do something outside the guest: `rig ctl PROFILE WORDS...`,
# `rig power-cut PROFILE`, `rig power-on PROFILE`. Prints the answer; fails if the host refused.
rig() {
  seq=$((seq + 1))
  printf 'REQ %d %s\n' "$seq" "$*" >&3
  local line
  while IFS= read -r -t 120 line <&3; do
    line=${line%$'\r'}
    case "$line" in
      "ACK $seq ok"*) reply=${line#"ACK $seq ok"}; echo "${reply# }"; return 0 ;;
      "ACK $seq error"*) reply=${line#"ACK $seq error"}; echo "rig: ${reply# }" >&2; return 1 ;;
    esac
  done
  echo "rig: no answer from the host to '$*'" >&2
  return 1
}

fail() { echo "FAILED: $*"; exit 1; }
note() { echo "--- [$(cut -d' ' -f1 /proc/uptime)] $*"; }
check() { local why=$1; shift; "$@" || fail "$why"; }

# Runs a command as "tech" (in the udev rule's group plugdev) or "outsider" (in no group).
as_tech() {
  setpriv --reuid=1000 --regid=46 --groups=46 \
    env -i PATH="$PATH" HOME=/tmp/home/tech MFPBRIDGE_DATA_DIR=/tmp/home/tech/data MFPBRIDGE_PASSWORD=7654321 \
    MFPBRIDGE_QUIRKS="$HIL_WORK/quirks.json" "$@"
}
as_outsider() {
  setpriv --reuid=1001 --regid=1001 --clear-groups \
    env -i PATH="$PATH" HOME=/tmp/home/outsider MFPBRIDGE_DATA_DIR=/tmp/home/outsider/data MFPBRIDGE_PASSWORD=7654321 \
    MFPBRIDGE_QUIRKS="$HIL_WORK/quirks.json" "$@"
}

# Runs "$@", keeps its output in $out and its exit code in $code (never fails).
run() {
  local started=$(date +%s.%N)
  out=$("$@" 2>&1)
  code=$?
  printf '$ %s\n%s\n(exit %s, %.1f s)\n' "$*" "$out" "$code" "$(echo "$(date +%s.%N) - $started" | bc)"
}

# The sysfs folder of the USB device with this serial number (empty if absent).
sysfs_of() {
  local d
  for d in /sys/bus/usb/devices/*; do
    [ -f "$d/serial" ] && [ "$(cat "$d/serial")" = "$1" ] && { echo "$d"; return 0; }
  done
  return 1
}

# Waits up to $2 seconds (default 10) until the device with serial $1 is present (or, with $3 =
# gone, absent) in sysfs.
wait_device() {
  local serial=$1 limit=${2:-10} want=${3:-present} i
  for i in $(seq 1 $((limit * 10))); do
    if sysfs_of "$serial" >/dev/null; then [ "$want" = present ] && return 0; else [ "$want" = gone ] && return 0; fi
    sleep 0.1
  done
  return 1
}

file_size() { stat -c %s "$1" 2>/dev/null || echo 0; }

# Waits up to $3 seconds until file $1 is larger than $2 bytes.
wait_larger() {
  local i
  for i in $(seq 1 $(($3 * 20))); do
    [ "$(file_size "$1")" -gt "$2" ] && return 0
    sleep 0.05
  done
  return 1
}
