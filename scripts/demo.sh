#!/usr/bin/env bash
# make demo: run the pipeline end to end on what is available and say what was done.
set -euo pipefail
roma="$1"; shared="$2"; out="$3"
mkdir -p "$out"
if [ -f "$shared/images/sacre_coeur_A.jpg" ]; then
  a="$shared/images/sacre_coeur_A.jpg"; b="$shared/images/sacre_coeur_B.jpg"
  "$roma" decode "$a" -o "$out/a.decoded.safetensors"
  "$roma" decode "$b" -o "$out/b.decoded.safetensors"
  "$roma" info "$out/a.decoded.safetensors"
fi
echo "demo: artifacts in $out"
