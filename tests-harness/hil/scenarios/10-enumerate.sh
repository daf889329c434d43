# A real kernel enumerates the emulated machine from its descriptors; udevd applies the
# project's rule to it (group plugdev, mode 0660) and not to a device the rule does not cover;
# the kernel's own printer driver (usblp) reads its IEEE 1284 id with GET_DEVICE_ID.
d=$(sysfs_of "$MAIN_SERIAL") || fail "no USB device with serial $MAIN_SERIAL in sysfs"
note "$d: $(cat "$d/idVendor"):$(cat "$d/idProduct") '$(cat "$d/manufacturer")' '$(cat "$d/product")' speed $(cat "$d/speed")"
check "idVendor is $MAIN_VID" [ "$(cat "$d/idVendor")" = "$MAIN_VID" ]
check "idProduct is $MAIN_PID" [ "$(cat "$d/idProduct")" = "$MAIN_PID" ]
check "the product string is '$MAIN_PRODUCT'" [ "$(cat "$d/product")" = "$MAIN_PRODUCT" ]
check "high speed" [ "$(cat "$d/speed")" = 480 ]
count=$(ls -d "$d"/*:1.* | wc -l)
check "$MAIN_INTERFACES interfaces, not $count" [ "$count" = "$MAIN_INTERFACES" ]
node=/dev/bus/usb/$(printf %03d "$(cat "$d/busnum")")/$(printf %03d "$(cat "$d/devnum")")
udevadm info -q property -n "$node" | grep -E '^(ID_USB_INTERFACES|ID_SERIAL|DEVNAME)='
check "udev's usb_id announces the vendor interface" sh -c "udevadm info -q property -n $node | grep -q '^ID_USB_INTERFACES=.*:ffffff:'"
note "$node: $(stat -c '%U:%G %a' "$node")"
check "the rule gives $node to group plugdev, mode 0660" [ "$(stat -c '%G %a' "$node")" = "plugdev 660" ]
lab=$(sysfs_of "$LAB_SERIAL") || fail "the uncovered device (serial $LAB_SERIAL) is not in sysfs"
labnode=/dev/bus/usb/$(printf %03d "$(cat "$lab/busnum")")/$(printf %03d "$(cat "$lab/devnum")")
note "$labnode (not covered by the rule): $(stat -c '%U:%G %a' "$labnode")"
check "the rule does not grant the uncovered device to plugdev" [ "$(stat -c '%G' "$labnode")" != plugdev ]
id=$(cat "$d"/*:1.*/ieee1284_id 2>/dev/null | head -1)
note "usblp read the IEEE 1284 id: $id"
check "usblp's ieee1284_id names the model" sh -c "echo '$id' | grep -q 'MDL:$MAIN_PRODUCT;'"
