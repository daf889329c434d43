# `media eject` makes a stick safe to pull: its mounted partition synced and unmounted (what was
# written sits only in the page cache before), then its USB port powered off, which the guest's
# kernel sees as the stick leaving. A stick with a file open on it is refused: NOT safe to
# remove, still mounted. Plugged back in, what was written before the eject is there, intact.
pick() { python3 -c "import json,sys; m=[x for x in json.load(sys.stdin)['media'] if x.get('label')=='$1']; print(m[0]['devnode'] if m else '')"; }
devnode() { as_tech "$bin" media --json | pick "$1"; }
listing=$(as_tech "$bin" media --json)
vfat=$(pick "$STICK_VFAT_LABEL" <<<"$listing")
exfat=$(pick "$STICK_EXFAT_LABEL" <<<"$listing")
[ -n "$vfat" ] && [ -n "$exfat" ] || fail "the sticks are not both listed ($vfat, $exfat)"
mkdir -p /tmp/mnt-eject /tmp/mnt-busy
mount -t vfat "$vfat" /tmp/mnt-eject || fail "cannot mount $vfat"
head -c 1048576 /dev/urandom >/tmp/payload
cp /tmp/payload /tmp/mnt-eject/payload
run "$bin" media eject "$STICK_VFAT_LABEL"
check "eject exits 0" [ "$code" = 0 ]
check "it says the stick is safe to remove" grep -q "safe to remove" <<<"$out"
check "it powered the port off" grep -q "Powered .* off" <<<"$out"
check "the partition is no longer mounted" sh -c "! grep -q ' /tmp/mnt-eject ' /proc/mounts"
for i in $(seq 1 50); do [ -e "/sys/class/block/${vfat#/dev/}" ] || break; sleep 0.1; done
check "the kernel removed the stick's block device" [ ! -e "/sys/class/block/${vfat#/dev/}" ]

mount -t exfat "$exfat" /tmp/mnt-busy || fail "cannot mount $exfat"
(cd /tmp/mnt-busy && sleep 60) &
busy=$!
sleep 0.5
run "$bin" media eject "$STICK_EXFAT_LABEL"
check "a stick in use is refused with exit 1 (exit $code)" [ "$code" = 1 ]
check "it says the stick is NOT safe to remove" grep -q "NOT safe to remove" <<<"$out"
check "it says what holds it" grep -q "in use" <<<"$out"
check "the busy stick stays mounted" grep -q " /tmp/mnt-busy " /proc/mounts
kill $busy
wait $busy 2>/dev/null
umount /tmp/mnt-busy

rig stick-pull stick-vfat >/dev/null || fail "the host could not take the stick away"
rig stick-plug stick-vfat >/dev/null || fail "the host could not plug the stick back in"
for i in $(seq 1 15); do vfat=$(devnode "$STICK_VFAT_LABEL"); [ -n "$vfat" ] && break; sleep 0.5; done
[ -n "$vfat" ] || fail "the stick did not come back"
mount -t vfat "$vfat" /tmp/mnt-eject || fail "cannot mount $vfat again"
check "what was written before the eject is on the stick, intact" cmp /tmp/payload /tmp/mnt-eject/payload
umount /tmp/mnt-eject
