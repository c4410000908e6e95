#!/usr/bin/env bash
# Writes one image layer, DIR as the file system root, to OUT (.tar.gz, or .tar uncompressed:
# the layer's diff_id), reproducibly: names
# sorted, every entry owned by 0:0 with mtime SOURCE_DATE_EPOCH (modes as in DIR),
# no atime/ctime, gzip without a name or time stamp. Same tree content -> same bytes.
#   SOURCE_DATE_EPOCH=... scripts/image/layer.sh DIR OUT
set -euo pipefail
dir="$1"
out="$2"
: "${SOURCE_DATE_EPOCH:?SOURCE_DATE_EPOCH must be set}"
(cd "$dir" && find . -mindepth 1 -printf '%P\0' | LC_ALL=C sort -z |
  tar --create --file=- --null --no-recursion --files-from=- \
    --format=posix --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
    --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner) |
  if [[ "$out" == *.tar ]]; then cat >"$out"; else gzip -n -6 >"$out"; fi
