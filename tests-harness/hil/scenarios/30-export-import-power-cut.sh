# R3 under a real kernel: the non-root user exports one machine and imports the bundle onto another, over usbfs; the
# target loses power in the middle of the import (once a checkpoint is durable on it). Afterwards
# it has its old settings, never a mix; the import run again continues the transfer and ends
# with the new settings.
bundle=/tmp/home/tech/main.mfpb
run as_tech "$bin" export --device "$MAIN_ADDR" --all -o "$bundle"
check "export exits 0" [ "$code" = 0 ]
run as_tech "$bin" verify "$bundle"
check "the exported bundle verifies" [ "$code" = 0 ]
old=$(rig ctl "$TARGET_PROFILE" digests) || fail "no digests from the host"
received=$TARGET_STATE/settings-import.part
rig ctl "$TARGET_PROFILE" line-speed 500000 >/dev/null
as_tech "$bin" import --device "$TARGET_ADDR" "$bundle" --yes >/tmp/cut-import.log 2>&1 &
pid=$!
wait_larger "$received.ckpt" 0 60 || fail "no checkpoint of the import on the machine within 60 s: $(cat /tmp/cut-import.log)"
kill -0 $pid 2>/dev/null || fail "the import ended before the power cut: $(cat /tmp/cut-import.log)"
note "power cut with $(file_size "$received") bytes received"
rig power-cut "$TARGET_PROFILE" || fail "the host could not cut the power"
wait $pid
code=$?
cat /tmp/cut-import.log
check "the cut import exits 8, interrupted and resumable (exit $code)" [ "$code" = 8 ]
check "it says the machine went away and the transfer is resumable" grep -q "powered off.*resumable" /tmp/cut-import.log
rig power-on "$TARGET_PROFILE" || fail "the host could not power the machine on"
wait_device "$TARGET_SERIAL" 20 present || fail "the machine did not come back on the bus"
now=$(rig ctl "$TARGET_PROFILE" digests) || fail "no digests"
check "after the power cut the machine has its old settings" [ "$now" = "$old" ]
run as_tech "$bin" import --device "$TARGET_ADDR" "$bundle" --yes
check "the import run again exits 0" [ "$code" = 0 ]
check "it continued the interrupted transfer" grep -q "continued the interrupted one" <<<"$out"
new=$(rig ctl "$TARGET_PROFILE" digests) || fail "no digests"
if [ "$TARGET_PROFILE" != "$MAIN_PROFILE" ]; then
  check "the import changed the target's settings" [ "$new" != "$old" ]
fi
