#!/usr/bin/env bash
# make-stick.sh vfat|exfat SIZE_MIB OUT.img LABEL: a stick image as sticks are sold: an MBR with
# one partition from 1 MiB to the end (type 0c, FAT32 LBA, or 07, exFAT), formatted.
set -euo pipefail
fs=$1 mib=$2 out=$3 label=$4
rm -f "$out" "$out.part"
truncate -s "${mib}M" "$out"
type=0c
[ "$fs" = exfat ] && type=07
echo "start=2048, type=$type" | sfdisk -q "$out"
truncate -s $(((mib - 1) * 1024 * 1024)) "$out.part"
if [ "$fs" = vfat ]; then mkfs.vfat -F 32 -n "$label" "$out.part" >/dev/null; else mkfs.exfat -L "$label" "$out.part" >/dev/null; fi
dd if="$out.part" of="$out" bs=1M seek=1 conv=notrunc status=none
rm -f "$out.part"
