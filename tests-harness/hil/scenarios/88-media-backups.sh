# R3, R8: backups on real vfat and exfat sticks (usb-storage, the guest's kernel drivers), pulled with QMP
# device_del at chosen moments of the write: during it, right after the rename (vfat's weak spot:
# its rename leaves size 0 until the inode is written) and during the read-back. Plugged back in,
# nothing incomplete is listed as a backup, every earlier backup verifies (every byte, its seal)
# and fsck -n finds nothing wrong with them. Also: export --to-media onto an unmounted stick
# (mounted and unmounted again: left as found), box-restore --from-media, a write-protected
# stick, and a stick that fills up before and during the write.
export MFPBRIDGE_DATA_DIR=/tmp/home/root/data MFPBRIDGE_PASSWORD=7654321 MFPBRIDGE_QUIRKS="$HIL_WORK/quirks.json"
field() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
# The stick's partition, once udev has seen it (its by-label link).
wait_stick() {
  local i
  for i in $(seq 1 150); do [ -e "/dev/disk/by-label/$1" ] && { readlink -f "/dev/disk/by-label/$1"; return 0; }; sleep 0.1; done
  return 1
}
box=/tmp/media-box.mfpbox
# 1 MiB of box documents: the moments of a write are chosen by the pause, not by size.
rig ctl "$MAIN_PROFILE" box size 1048576 >/dev/null || fail "cannot size the box documents"
rebox() { run "$bin" box-backup --device "$MAIN_ADDR" -o "$box"; [ "$code" = 0 ] || fail "no box backup: $out"; }
rebox

# listed_ok FS LABEL STAGE [final]: the stick lists exactly the backups in $kept (and, after a
# pull at STAGE other than "writing", possibly the copy that was being written, whole: then it
# joins $kept); anything else is incomplete and cleaned; the stick is left unmounted. "final"
# also reads every byte of every backup (--verify) and runs fsck -n, which must name none of
# them (damage does not heal: once at the end covers every pull before).
listed_ok() {
  local fs=$1 label=$2 stage=$3 final=${4:-}
  local node names report new
  node=$(wait_stick "$label") || fail "the $fs stick is not there"
  listing=$("$bin" media backups "$label" --clean ${final:+--verify} --json 2>/tmp/backups.err) || fail "media backups failed: $(cat /tmp/backups.err)"
  names=$(field "' '.join(sorted(b['name'] for b in d['backups']))" <<<"$listing")
  new=$(field "' '.join(b['name'] for b in d['backups'] if b['name'] not in '${kept[*]}'.split())" <<<"$listing")
  note "listed: ${names:-none}; incomplete: $(field "[(f['name'], f['bytes'], f['reason']) for f in d['incomplete']]" <<<"$listing")"
  if [ -n "$new" ]; then
    check "a pull during the write leaves no new backup ($new)" [ "$stage" != writing ]
    note "the copy pulled at $stage was whole: $new"
    kept+=("$new")
    survived=1
  fi
  check "the listed backups are exactly the complete ones" [ "$names" = "$(printf '%s\n' "${kept[@]}" | sort | xargs)" ]
  check "the stick is not left mounted" bash -c '! grep -q "^$0 " /proc/mounts' "$node"
  [ -n "$final" ] || return 0
  check "every listed backup verified, every byte" [ "$(field "all(b.get('verified') for b in d['backups'])" <<<"$listing")" = True ]
  if [ "$fs" = vfat ]; then report=$(fsck.vfat -n "$node" 2>&1); else report=$(fsck.exfat -n "$node" 2>&1); fi
  note "fsck -n: $(tr '\n' ' ' <<<"$report" | cut -c1-200)"
  for name in "${kept[@]}"; do
    check "fsck -n finds nothing wrong with $name" bash -c '! grep -qiF -- "$1" <<<"$0"' "$report" "${name%.*}"
  done
}

# pull_at FS LABEL STAGE: media put paused at STAGE, the stick pulled there, plugged back in.
pull_at() {
  local fs=$1 label=$2 stage=$3 i
  MFPBRIDGE_MEDIA_TEST_PAUSE=$stage:3 "$bin" media put "$box" "$label" >/tmp/pull.log 2>&1 &
  local pid=$!
  for i in $(seq 1 300); do grep -q "test pause: $stage" /tmp/pull.log && break; kill -0 $pid 2>/dev/null || break; sleep 0.1; done
  grep -q "test pause: $stage" /tmp/pull.log || fail "the put never reached '$stage': $(cat /tmp/pull.log)"
  rig stick-pull "stick-$fs" >/dev/null || fail "the host could not pull the stick"
  wait $pid
  code=$?
  note "pulled at $stage: $(tr '\n' ' ' </tmp/pull.log)"
  check "the put pulled at $stage exits 1 (exit $code)" [ "$code" = 1 ]
  check "it says the stick was removed" grep -q "the stick was removed" /tmp/pull.log
  rig stick-plug "stick-$fs" >/dev/null || fail "the host could not plug the stick back in"
  listed_ok "$fs" "$label" "$stage"
}

# vfat: the whole story.
label=$STICK_VFAT_LABEL
node=$(wait_stick "$label") || fail "no vfat stick"
run "$bin" export --device "$MAIN_ADDR" --all --to-media "$label"
check "export --to-media exits 0" [ "$code" = 0 ]
check "it read the copy back from the stick" grep -q "read back from the stick and verified" <<<"$out"
check "it mounted the stick itself and says it is safe to remove" grep -q "unmounted again: it is safe to remove" <<<"$out"
check "the stick is left unmounted, as it was found" bash -c '! grep -q "^$0 " /proc/mounts' "$node"
settings=$(sed -n 's|.* to /run/mfpbridge/media/[^/]*/mfpbridge/\([^ ]*\) (read back.*|\1|p' <<<"$out")
run "$bin" media put "$box" "$label"
check "media put exits 0" [ "$code" = 0 ]
boxname=$(sed -n 's|.* as /run/mfpbridge/media/[^/]*/mfpbridge/\([^ ]*\) (.*|\1|p' <<<"$out")
kept=("$settings" "$boxname")
rebox
# The copy pulled during the read-back is whole (written and synced): last, as it takes the
# box backup's name.
survived=0
for stage in writing renamed reading-back; do pull_at vfat "$label" $stage; done
[ "$survived" = 1 ] && rebox

# Taken from the stick: the box documents back onto the machine (copied off the stick first).
run "$bin" box-restore --device "$MAIN_ADDR" --from-media "$label" --latest --yes
check "box-restore --from-media --latest exits 0" [ "$code" = 0 ]
check "the stick is left unmounted" bash -c '! grep -q "^$0 " /proc/mounts' "$(wait_stick "$label")"

# A write-protected stick (its switch on: a read-only image): refused before anything is written.
node=$(wait_stick "$STICK_LOCKED_LABEL") || fail "no write-protected stick"
disk=${node%%[0-9]*}
check "the kernel reports the locked stick read-only (sysfs ro)" [ "$(cat "/sys/class/block/${disk#/dev/}/ro")" = 1 ]
run "$bin" media put "$box" "$STICK_LOCKED_LABEL"
check "a put onto a write-protected stick exits 1 (exit $code)" [ "$code" = 1 ]
check "it says the write-protect switch is on" grep -q "write-protect switch" <<<"$out"

# Full before the write, and full during it.
node=$(wait_stick "$label") || fail "the stick did not come back"
mkdir -p /tmp/mnt-fill
mount -t vfat "$node" /tmp/mnt-fill || fail "cannot mount $node"
size=$(stat -c %s "$box")
avail=$(df -B1 --output=avail /tmp/mnt-fill | tail -1)
fallocate -l $((avail - size / 2)) /tmp/mnt-fill/filler || fail "cannot fill the stick"
run "$bin" media put "$box" /tmp/mnt-fill
check "a put onto a stick without room exits 1 (exit $code)" [ "$code" = 1 ]
check "it says the stick is full and nothing was written" bash -c 'grep -q "the stick is full" <<<"$0" && grep -q "nothing was written" <<<"$0"' "$out"
rm /tmp/mnt-fill/filler
# Room for the file and 1.5 MiB more: the put starts; while it waits, half written, the rest
# of the stick is taken.
avail=$(df -B1 --output=avail /tmp/mnt-fill | tail -1)
fallocate -l $((avail - size - 3 * 524288)) /tmp/mnt-fill/filler || fail "cannot fill the stick"
MFPBRIDGE_MEDIA_TEST_PAUSE=writing:4 "$bin" media put "$box" /tmp/mnt-fill >/tmp/fill.log 2>&1 &
pid=$!
for i in $(seq 1 300); do grep -q "test pause" /tmp/fill.log && break; sleep 0.1; done
avail=$(df -B1 --output=avail /tmp/mnt-fill | tail -1)
# dd, not fallocate: vfat refuses to preallocate beside a file being written. It stops at ENOSPC.
dd if=/dev/zero of=/tmp/mnt-fill/filler2 bs=64k count=$((avail / 65536 + 1)) status=none 2>/dev/null
note "free while the put waits: $(df -B1 --output=avail /tmp/mnt-fill | tail -1) bytes"
wait $pid
code=$?
note "filled mid-write ($avail bytes taken): $(tr '\n' ' ' </tmp/fill.log)"
check "a stick that fills up mid-write exits 1 (exit $code)" [ "$code" = 1 ]
check "it says the stick is full (ENOSPC with the stick present)" grep -q "the stick is full" /tmp/fill.log
check "no partial file is left" bash -c '! ls -a /tmp/mnt-fill/mfpbridge | grep -q partial'
rm /tmp/mnt-fill/filler /tmp/mnt-fill/filler2
umount /tmp/mnt-fill
listed_ok vfat "$label" none final

# exfat: a put onto the unmounted stick, then pulled right after the rename.
label=$STICK_EXFAT_LABEL
wait_stick "$label" >/dev/null || fail "no exfat stick"
run "$bin" media put "$box" "$label"
check "media put onto exfat exits 0" [ "$code" = 0 ]
kept=("$(sed -n 's|.* as /run/mfpbridge/media/[^/]*/mfpbridge/\([^ ]*\) (.*|\1|p' <<<"$out")")
rebox
pull_at exfat "$label" renamed
