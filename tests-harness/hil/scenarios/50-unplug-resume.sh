# R3 under a real kernel: the cable pulled in the middle of a box backup (a real hotplug: the kernel removes the device),
# plugged back in: `--wait` resumes from the durable checkpoint and the file ends byte-identical.
size=3145728
home=/tmp/home/tech
rig ctl "$MAIN_PROFILE" box size $size >/dev/null || fail "cannot size the box"
run as_tech "$bin" box-backup --device "$MAIN_ADDR" -o $home/reference.box
check "the uninterrupted backup exits 0" [ "$code" = 0 ]
journal=$MAIN_STATE/box/export.journal
before=$(file_size "$journal")
rig ctl "$MAIN_PROFILE" line-speed 4000000 >/dev/null
as_tech "$bin" box-backup --device "$MAIN_ADDR" -o $home/cut.box --wait >/tmp/cut.log 2>&1 &
pid=$!
wait_larger $home/cut.box.part.ckpt 0 30 || fail "no host checkpoint within 30 s: $(cat /tmp/cut.log)"
wait_larger "$journal" "$before" 30 || fail "no device checkpoint within 30 s"
kill -0 $pid 2>/dev/null || fail "the backup ended before the unplug: $(cat /tmp/cut.log)"
rig ctl "$MAIN_PROFILE" unplug >/dev/null || fail "the host could not unplug"
wait_device "$MAIN_SERIAL" 10 gone || fail "the kernel did not see the unplug"
note "unplugged at $(file_size $home/cut.box.part) bytes"
sleep 1
kill -0 $pid 2>/dev/null || fail "--wait gave up while the device was away: $(cat /tmp/cut.log)"
rig ctl "$MAIN_PROFILE" line-speed off >/dev/null
rig ctl "$MAIN_PROFILE" replug >/dev/null || fail "the host could not replug"
wait $pid
code=$?
cat /tmp/cut.log
check "the resumed backup exits 0 (exit $code)" [ "$code" = 0 ]
check "it says it resumed" grep -q "resumed at byte" /tmp/cut.log
check "the payload is byte-identical to the uninterrupted backup" cmp -n $((16 + size)) $home/reference.box $home/cut.box
run as_tech "$bin" verify $home/cut.box
check "the resumed backup verifies" [ "$code" = 0 ]
check "no part file is left" [ ! -e $home/cut.box.part ]
rig ctl "$MAIN_PROFILE" box size 1048576 >/dev/null
