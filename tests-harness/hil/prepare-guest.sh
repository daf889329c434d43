#!/usr/bin/env bash
# Builds the HIL rig's guest once per kernel version: Debian's kernel (resolved through
# linux-image-amd64) and a busybox initramfs that loads the USB, virtio and 9p modules the kernel
# has as modules (it has no modules.dep in the initramfs, so they load with insmod in order) and
# mounts the host's own / read-only over 9p as the guest's root.
# Usage: prepare-guest.sh CACHE_DIR    (prints the folder holding vmlinuz and initrd.gz)
set -euo pipefail
cache=${1:?usage: prepare-guest.sh CACHE_DIR}
resolve() { apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-/{print $2; exit}'; }
package=$(resolve)
# A fresh machine may have no package lists yet (nothing else needed installing): fetch them once.
[ -n "$package" ] || { apt-get update -qq >/dev/null 2>&1 || true; package=$(resolve); }
[ -n "$package" ] || { echo "error: apt-cache cannot resolve linux-image-amd64 (is a Debian mirror reachable?)" >&2; exit 1; }
version=${package#linux-image-}
out=$cache/$version
stamp=$(cat "$(dirname "$0")/guest-modules.txt" "$0" | sha256sum | cut -c1-16)
if [ -s "$out/vmlinuz" ] && [ -s "$out/initrd.gz" ] && [ "$(cat "$out/stamp" 2>/dev/null)" = "$stamp" ]; then
  echo "$out"
  exit 0
fi
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download -qq "$package" >/dev/null 2>&1) || { echo "error: cannot download $package" >&2; exit 1; }
modules=()
while read -r module; do
  [ -n "$module" ] && [ "${module:0:1}" != "#" ] && modules+=("$module")
done < "$here/guest-modules.txt"
tree=./lib/modules/$version/kernel
mkdir -p "$work/k"
dpkg-deb --fsys-tarfile "$work"/"${package}"_*.deb \
  | tar -C "$work/k" -x "./boot/vmlinuz-$version" $(for m in "${modules[@]}"; do echo "$tree/$m.ko"; done)
root=$work/initrd
mkdir -p "$root/bin" "$root/mods" "$root/proc" "$root/sys" "$root/dev" "$root/newroot"
cp /bin/busybox "$root/bin/"
n=10
for m in "${modules[@]}"; do cp "$work/k/$tree/$m.ko" "$root/mods/$n-$(basename "$m").ko"; n=$((n + 1)); done
cat > "$root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
for m in /mods/*.ko; do insmod "$m" || echo "HIL: insmod $m failed"; done
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144,cache=loose hostroot /newroot || { echo "HIL: no host root"; exec sh; }
mount -t tmpfs run /newroot/run
# The guest's /tmp is its own tmpfs; the repository and the binaries stay at their host paths
# even when they live under the host's /tmp (a CI clone there).
mkdir -p /newroot/run/host-tmp; mount --bind /newroot/tmp /newroot/run/host-tmp
mount -t tmpfs tmp /newroot/tmp
for path in "$HIL_REPO" "$HIL_BIN"; do
  case "$path" in /tmp/*) mkdir -p "/newroot$path"; mount --bind "/newroot/run/host-tmp/${path#/tmp/}" "/newroot$path" ;; esac
done
mkdir -p /newroot/tmp/work
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 work /newroot/tmp/work || { echo "HIL: no work share"; exec sh; }
for d in dev proc sys; do mount --move /$d /newroot/$d; done
mkdir -p /newroot/dev/pts; mount -t devpts devpts /newroot/dev/pts
exec switch_root /newroot /bin/bash "$HIL_REPO/tests-harness/hil/guest-init.sh"
INIT
chmod +x "$root/init"
mkdir -p "$out"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$out/initrd.gz.tmp"
cp "$work/k/boot/vmlinuz-$version" "$out/vmlinuz.tmp"
mv "$out/initrd.gz.tmp" "$out/initrd.gz"; mv "$out/vmlinuz.tmp" "$out/vmlinuz"
echo "$stamp" > "$out/stamp"
echo "$out"
