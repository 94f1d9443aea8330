#!/usr/bin/env bash
# make demo: the pipeline end to end on the synthetic benchmark (no download needed),
# plus one real pair when ../shared is present. Says what it did and where the
# reports are. Uses RoMa when its weights are in the cache (or can be downloaded),
# the OpenCV SIFT baseline otherwise.
set -euo pipefail
roma="$1"; shared="$2"; out="$3"
pairs="${DEMO_PAIRS:-8}"
# The difficulty level of the synthetic set (docs/evaluation.md): on the classic set
# every method scores ~100; this level separates matchers while the oracle stays ~100.
level="${DEMO_LEVEL:-hard}"
bench="synthetic-$level"
mkdir -p "$out"

matcher=sift
if "$roma" weights --only outdoor >"$out/weights.log" 2>&1 && "$roma" weights --only dinov2 >>"$out/weights.log" 2>&1; then
  matcher=roma
else
  echo "demo: RoMa weights are not in the weights cache and cannot be downloaded here, so the SIFT baseline stands in (details: $out/weights.log; 'make weights' fetches them)."
fi

if [ "$matcher" = roma ]; then stages="synth, decode, match, sample, estimate, evaluate, report"; else stages="synth, sift, estimate, evaluate, report"; fi
echo "demo: synthetic benchmark, level $level, $pairs pairs, matcher $matcher ($stages; one artifact per pair per stage under runs/)"
# Pairs whose estimate fails (too few correct matches) are part of the result (90°);
# their messages go to the log with everything else, shown only if the run breaks.
make --no-print-directory eval BENCH="$bench" MATCHER="$matcher" SYNTH_PAIRS="$pairs" > "$out/eval-$matcher.log" 2>&1 \
  || { tail -20 "$out/eval-$matcher.log"; exit 1; }
grep -E '^evaluate:' "$out/eval-$matcher.log" || true
echo "demo: the same pairs with the ground-truth warp as matcher (oracle: upper bound of sampling + estimation)"
make --no-print-directory eval BENCH="$bench" MATCHER=oracle SYNTH_PAIRS="$pairs" > "$out/eval-oracle.log" 2>&1 \
  || { tail -20 "$out/eval-oracle.log"; exit 1; }
grep -E '^evaluate:' "$out/eval-oracle.log" || true
echo "demo: what the numbers mean: AUC@5/10/20 is the area under the curve of the share of estimates"
echo "  whose pose error (the larger of the rotation error and the angle between translation directions)"
echo "  is below x, for x up to 5/10/20 degrees, in percent. The oracle matches with the exact ground-truth"
echo "  warp, so it tests sampling and estimation alone and should score ~100; the gap below it is what the"
echo "  matcher loses. Level '$level' changes viewpoint, scale, lighting, texture, sensor and occluders between"
echo "  the views (per factor: each report's 'Accuracy by difficulty factor' table; the levels: docs/evaluation.md)."
echo "  For comparison, RoMa's published AUC@5 on MegaDepth-1500 is 62.6."

if [ -f "$shared/images/sacre_coeur_A.jpg" ]; then
  echo "demo: one real pair, $shared/images/sacre_coeur_A.jpg and _B.jpg (no intrinsics: fundamental matrix), artifacts kept in $out/pose"
  status=0
  "$roma" pose "$shared/images/sacre_coeur_A.jpg" "$shared/images/sacre_coeur_B.jpg" --matcher "$matcher" --keep "$out/pose" || status=$?
  [ "$status" -eq 0 ] || [ "$status" -eq 3 ] || exit "$status"
fi

where_m=$(make --no-print-directory -s eval-where BENCH="$bench" MATCHER="$matcher" SYNTH_PAIRS="$pairs")
where_o=$(make --no-print-directory -s eval-where BENCH="$bench" MATCHER=oracle SYNTH_PAIRS="$pairs")
echo
echo "demo: done. Reports:"
echo "  $where_m/report/index.html   ($matcher)"
echo "  $where_o/report/index.html   (oracle)"
echo "Rerun 'make demo' and nothing is recomputed; change a parameter (e.g. make eval BENCH=$bench MATCHER=$matcher SYNTH_PAIRS=$pairs THRESHOLD=1.0) and only the stages below it rerun."
