# USB memory media as a real kernel and udevd present them: both sticks' partitions with their
# label, file system and size; a mounted one with its mount point and free space; a stick pulled
# (QMP device_del, a surprise removal) is gone from the list, and back once plugged in again.
field() { python3 -c "import json,sys; m=[x for x in json.load(sys.stdin)['media'] if x.get('label')=='$1']; print(m[0]['$2'] if m else '')"; }
listed() { as_tech "$bin" media --json | field "$1" devnode; }
run as_tech "$bin" media --json
check "media --json exits 0" [ "$code" = 0 ]
vfat=$(field "$STICK_VFAT_LABEL" devnode <<<"$out")
exfat=$(field "$STICK_EXFAT_LABEL" devnode <<<"$out")
note "vfat stick partition: $vfat, exfat stick partition: $exfat"
check "the vfat stick's partition is listed by its label" [ -n "$vfat" ]
check "the exfat stick's partition is listed by its label" [ -n "$exfat" ]
check "its file system is vfat" [ "$(field "$STICK_VFAT_LABEL" fileSystem <<<"$out")" = vfat ]
check "its file system is exfat" [ "$(field "$STICK_EXFAT_LABEL" fileSystem <<<"$out")" = exfat ]
check "it is a partition of 63 MiB" [ "$(field "$STICK_VFAT_LABEL" sizeBytes <<<"$out")" = $((63 << 20)) ]
check "the stick says it is removable" [ "$(field "$STICK_VFAT_LABEL" removable <<<"$out")" = True ]
check "the serial is the stick's" [ "$(field "$STICK_VFAT_LABEL" serial <<<"$out")" = "$STICK_VFAT_SERIAL" ]
mkdir -p /tmp/mnt-vfat
mount -t vfat "$vfat" /tmp/mnt-vfat || fail "cannot mount $vfat"
run as_tech "$bin" media
mounted=$(as_tech "$bin" media --json)
umount /tmp/mnt-vfat
check "the mount point is found in mountinfo" [ "$(field "$STICK_VFAT_LABEL" mountPoints <<<"$mounted")" = "['/tmp/mnt-vfat']" ]
free=$(field "$STICK_VFAT_LABEL" freeBytes <<<"$mounted")
check "free space is read from the mounted file system ($free)" [ "${free:-0}" -gt $((50 << 20)) ]
# `watch` sees the stick leave and come back: its disk and its partition, each removed and added.
timeout 60 setpriv --reuid=1000 --regid=46 --groups=46 env -i PATH="$PATH" HOME=/tmp/home/tech \
  "$bin" watch --json --count 4 >/tmp/watch-media.log 2>&1 &
watcher=$!
for i in $(seq 1 300); do grep -q "watching USB devices" /tmp/watch-media.log && break; sleep 0.1; done
rig stick-pull stick-vfat >/dev/null || fail "the host could not pull the stick"
for i in $(seq 1 15); do [ -z "$(listed "$STICK_VFAT_LABEL")" ] && break; sleep 0.5; done
check "the pulled stick is no longer listed" [ -z "$(listed "$STICK_VFAT_LABEL")" ]
check "the other stick still is" [ -n "$(listed "$STICK_EXFAT_LABEL")" ]
rig stick-plug stick-vfat >/dev/null || fail "the host could not plug the stick back in"
for i in $(seq 1 15); do [ -n "$(listed "$STICK_VFAT_LABEL")" ] && break; sleep 0.5; done
check "the stick plugged back in is listed again" [ -n "$(listed "$STICK_VFAT_LABEL")" ]
wait $watcher
code=$?
cat /tmp/watch-media.log
check "watch ended after four events (exit $code)" [ "$code" = 0 ]
check "watch listed the sticks present" grep -q '"event":"present","kind":"stick"' /tmp/watch-media.log
check "watch saw the stick's partition leave" grep -q '"event":"remove","kind":"stick".*"label":"'"$STICK_VFAT_LABEL"'"' /tmp/watch-media.log
check "watch saw it come back" grep -q '"event":"add","kind":"stick".*"label":"'"$STICK_VFAT_LABEL"'"' /tmp/watch-media.log
