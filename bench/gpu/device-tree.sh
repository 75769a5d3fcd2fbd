#!/usr/bin/env bash
# The device tool copies the working tree plus the carried paths, 64 MiB at most. The repository
# (~48 MB) plus .gpu (~29 MB) is over that, so before a GPU run move out the tracked files the GPU
# runner never reads (NAB data, the mamba-small fixture, the k-quant dequant dumps), and move them
# back afterwards. Usage: bench/gpu/device-tree.sh out | back | status   (docs/gpu.md)
set -euo pipefail
cd "$(dirname "$0")/../.."
AWAY=${SPARROW_GPU_AWAY:-/tmp/sparrow-gpu-away}

away_list() {
  echo data
  echo test/fixtures/models/mamba-small
  # the GPU quant check reads only the GGUFs, not the dequant dumps (test/browser/cases/quant.ts)
  for f in test/fixtures/gguf-kquants/*; do
    case "$(basename "$f")" in model.Q?_K.gguf) ;; *) echo "$f" ;; esac
  done
}

travelling_mb() {
  local tracked carried=0
  # files moved out are missing here: du skips them (and fails, hence the || true)
  tracked=$( (git ls-files -z | xargs -0 du -cb 2>/dev/null || true) | tail -1 | cut -f1)
  for p in .gpu dist/gpu build; do [ -e "$p" ] && carried=$((carried + $(du -sb "$p" | cut -f1))); done
  echo "working tree ${tracked} B + carried .gpu, dist/gpu, build ${carried} B = $(((tracked + carried) / 1048576)) MiB (limit 64 MiB)"
}

case "${1:-status}" in
  out)
    if [ -e "$AWAY" ] && [ -n "$(ls -A "$AWAY")" ]; then echo "$AWAY is not empty: run '$0 back' first" >&2; exit 1; fi
    mkdir -p "$AWAY"
    away_list | while read -r p; do mkdir -p "$AWAY/$(dirname "$p")"; mv "$p" "$AWAY/$p"; done
    echo "moved out to $AWAY"
    travelling_mb
    ;;
  back)
    [ -d "$AWAY" ] || { echo "nothing to move back ($AWAY does not exist)" >&2; exit 1; }
    (cd "$AWAY" && find . -mindepth 1 -maxdepth 4 \( -type f -o -type d \) -print) | sort | while read -r p; do
      p=${p#./}
      if [ -d "$AWAY/$p" ] && [ ! -e "$p" ]; then mkdir -p "$(dirname "$p")"; mv "$AWAY/$p" "$p";
      elif [ -f "$AWAY/$p" ] && [ ! -e "$p" ]; then mkdir -p "$(dirname "$p")"; mv "$AWAY/$p" "$p"; fi
    done
    left=$(find "$AWAY" -type f | wc -l)
    if [ "$left" -ne 0 ]; then echo "$left files are still in $AWAY (a file of the same name exists here?)" >&2; exit 1; fi
    rm -rf "$AWAY"
    if git status --porcelain | grep -q '^ D'; then echo "tracked files are still missing:" >&2; git status --porcelain | grep '^ D' | head >&2; exit 1; fi
    echo "moved back; no tracked file missing"
    ;;
  status)
    travelling_mb
    [ -d "$AWAY" ] && echo "files are moved out to $AWAY" || true
    ;;
  *) echo "usage: $0 out | back | status" >&2; exit 2 ;;
esac
