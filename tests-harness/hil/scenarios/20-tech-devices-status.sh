# A non-root user in the rule's group finds the machine and reads its state through usbfs.
run as_tech "$bin" devices --json
check "devices exits 0" [ "$code" = 0 ]
check "devices lists $MAIN_SERIAL" grep -q "$MAIN_SERIAL" <<<"$out"
run as_tech "$bin" status --device "$MAIN_ADDR"
check "status exits 0" [ "$code" = 0 ]
run as_tech "$bin" status --device "$MAIN_ADDR" --json
check "status --json says an import/export may start" grep -q '"canImportExport" *: *true' <<<"$out"
