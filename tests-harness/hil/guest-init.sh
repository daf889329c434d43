#!/bin/bash
# PID 1 of the HIL rig's guest, on the host's own root (read-only 9p). Starts a real
# systemd-udevd with the project's udev rule, makes the rig's users, then runs every scenario in
# scenarios/ (name order) and powers off. The host (rig.py) reads the console: HIL-PLAN lists the
# scenarios, one HIL-RESULT line follows for each.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export HIL_WORK=/tmp/work
here="$HIL_REPO/tests-harness/hil"
up() { cut -d' ' -f1 /proc/uptime; }
echo "HIL-GUEST-UP uptime=$(up)s"
hostname hil-guest
# devtmpfs has no /dev/fd (bash's process substitution needs it).
ln -sf /proc/self/fd /dev/fd
source "$HIL_WORK/rig.env"

# The root is read-only: udevd reads rules from /run/udev/rules.d too.
mkdir -p /run/udev/rules.d
cp "$HIL_REPO/udev/70-mfpbridge.rules" /run/udev/rules.d/
/lib/systemd/systemd-udevd --daemon 2>"$HIL_WORK/logs/udevd.log"
udevadm trigger --action=add
udevadm settle -t 20
# A stick plugged back in is scanned at once, not after usb-storage's default second.
echo 0 >/sys/module/usb_storage/parameters/delay_use 2>/dev/null || true
echo "HIL-UDEV-READY uptime=$(up)s"

# The rig line to the host: requests out, answers back (raw: no echo, no line editing).
stty -F /dev/ttyS1 raw -echo 115200
# Users: "tech" (uid 1000) in the rule's group, "outsider" (uid 1001) in none.
mkdir -p /tmp/home/tech /tmp/home/outsider
chown 1000:46 /tmp/home/tech
chown 1001:1001 /tmp/home/outsider
chmod 0700 /tmp/home/tech /tmp/home/outsider

scenarios=()
for file in "$here/${HIL_SET:-scenarios}"/*.sh; do
  name=$(basename "$file" .sh)
  if [ -n "${HIL_ONLY:-}" ] && [[ ",$HIL_ONLY," != *",$name,"* ]]; then continue; fi
  scenarios+=("$file")
done
echo "HIL-PLAN $(for f in "${scenarios[@]}"; do basename "$f" .sh; done | tr '\n' ' ')"
for file in "${scenarios[@]}"; do
  name=$(basename "$file" .sh)
  start=$(up)
  HIL_SCENARIO=$name bash -c 'source "$0"; source "$1"' "$here/guest-lib.sh" "$file" \
    >"$HIL_WORK/logs/$name.log" 2>&1 3<>/dev/ttyS1
  code=$?
  took=$(echo "$(up) - $start" | bc)
  if [ $code -eq 0 ]; then
    echo "HIL-RESULT PASS $name (${took}s)"
  else
    echo "HIL-RESULT FAIL $name (${took}s): $(grep '^FAILED: ' "$HIL_WORK/logs/$name.log" | head -1 | cut -c9-)"
  fi
done
echo "HIL-DONE uptime=$(up)s"
sync
busybox poweroff -f
