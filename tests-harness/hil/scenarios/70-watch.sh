# `watch` sees the kernel's remove and add events of a real unplug and replug.
timeout 30 setpriv --reuid=1000 --regid=46 --groups=46 env -i PATH="$PATH" HOME=/tmp/home/tech \
  "$bin" watch --json --count 2 >/tmp/watch.log 2>&1 &
pid=$!
for i in $(seq 1 300); do grep -q "watching USB devices" /tmp/watch.log && break; sleep 0.1; done
grep -q "watching USB devices" /tmp/watch.log || fail "watch did not start within 30 s: $(cat /tmp/watch.log)"
rig ctl "$MAIN_PROFILE" unplug >/dev/null || fail "the host could not unplug"
wait_device "$MAIN_SERIAL" 10 gone || fail "the kernel did not see the unplug"
rig ctl "$MAIN_PROFILE" replug >/dev/null || fail "the host could not replug"
wait_device "$MAIN_SERIAL" 10 present || fail "the kernel did not see the replug"
wait $pid
code=$?
cat /tmp/watch.log
check "watch ended after two events (exit $code)" [ "$code" = 0 ]
check "watch saw the removal" grep -q '"remove"' /tmp/watch.log
check "watch saw the arrival" grep -q '"add"' /tmp/watch.log
check "the events name the machine" grep -q "$MAIN_SERIAL" /tmp/watch.log
