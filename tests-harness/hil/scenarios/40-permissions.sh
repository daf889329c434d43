# What the rule must not grant: the machine to a user outside the group, and a device it does
# not cover (one added through the quirks file) to the user in the group. Both are refused by
# the kernel and said plainly; as root the same device answers, so only the rule stands between.
run as_outsider "$bin" status --device "$MAIN_ADDR"
check "the outsider is refused" [ "$code" != 0 ]
check "the outsider is told permission was denied" grep -q 'permission denied' <<<"$out"
check "the outsider is pointed at the udev rule" grep -q 'udev rule' <<<"$out"
run as_tech "$bin" status --device "$LAB_ADDR"
check "the uncovered device is refused to tech" [ "$code" != 0 ]
check "tech is told permission was denied" grep -q 'permission denied' <<<"$out"
run env MFPBRIDGE_QUIRKS="$HIL_WORK/quirks.json" MFPBRIDGE_DATA_DIR=/tmp/root-data MFPBRIDGE_PASSWORD=7654321 \
  "$bin" status --device "$LAB_ADDR"
check "root reaches the uncovered device (exit $code)" [ "$code" = 0 ]
