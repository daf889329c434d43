# Throughput on a real USB stack (scripts/hil-rig --bench; a benchmark, never part of the tests):
# a box backup and a box restore of 64 MiB through the guest's usbfs, against the raw synchronous
# libusb bulk echo of the same guest and emulator (its printer interface, `emulate --usb-echo`),
# measured in the same run. Prints `bench-hil:` lines; the ratios go to docs/performance.md.
size=$((64 << 20))
home=/tmp/home/tech
TIMEFORMAT='%R %U %S'
timed() { { time "$@" >/tmp/timed.out 2>&1; } 2>/tmp/timed.time || { cat /tmp/timed.out; fail "$*"; }; cat /tmp/timed.time; }
echo_once() {
  read -r real user sys < <(timed as_tech "$HIL_BIN/mfpbridge-bench" usb-echo --device "$MAIN_VID:$MAIN_PID" --interface 1 --seconds 5)
  echo "bench-hil: raw echo $1: $(cat /tmp/timed.out) (guest CPU ${user}s user ${sys}s sys)"
}
mbs() { echo "scale=1; $1 / $2 / 1000000" | bc; }
rig ctl "$MAIN_PROFILE" box size $size >/dev/null || fail "cannot size the box"
echo_once before
read -r real user sys < <(timed as_tech "$bin" box-backup --device "$MAIN_ADDR" -o $home/bench.box)
echo "bench-hil: box-backup $size bytes in ${real}s (guest CPU ${user}s user ${sys}s sys): $(mbs $size "$real") MB/s"
rig ctl "$MAIN_PROFILE" box size $((size + 4096)) >/dev/null
read -r real user sys < <(timed as_tech "$bin" box-restore --device "$MAIN_ADDR" $home/bench.box --yes)
echo "bench-hil: box-restore $size bytes in ${real}s (guest CPU ${user}s user ${sys}s sys): $(mbs $size "$real") MB/s"
echo_once after
rig ctl "$MAIN_PROFILE" box size 1048576 >/dev/null
