#!/usr/bin/env python3
"""Issue 14's bf16 criterion for RoMa v2: ours-bf16 no further from romav2-bf16 than romav2-bf16 is from romav2-fp32.

Runs compare_warp.py's RoMa v2 comparison twice (OURS against romav2's bf16 run; romav2's bf16
run against its fp32 run) and prints, per direction, both sets of figures and their ratio
(ours / romav2's own; below 1 meets the criterion): warp median and mean (px), overlap mean
difference, precision relative difference at the median pixel and over the whole image.

Usage: python scripts/reference/bf16_ratio.py OURS.warp reference_X_bf16.safetensors reference_X.safetensors [--label TEXT]
"""
import os
import sys

from safetensors.torch import load_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare_warp import roma2_report  # noqa: E402

FIGURES = [("median_px", "median"), ("mean_px", "mean"), ("overlap_mean_diff", "overlap"),
           ("precision_rel_median", "prec med"), ("precision_rel_total", "prec total")]


def main():
    args = sys.argv[1:]
    label = ""
    if "--label" in args:
        i = args.index("--label")
        label = args[i + 1] + " "
        del args[i:i + 2]
    if len(args) != 3:
        sys.exit(__doc__)
    ours, bf16, fp32 = (load_file(p) for p in args)
    mine, _ = roma2_report(ours, bf16)
    theirs, _ = roma2_report(bf16, fp32)
    for d in mine:
        a, b = mine[d], theirs[d]
        cells = " | ".join(f"{n} {a[k]:.4g} / {b[k]:.4g} = {a[k] / b[k]:.3f}" for k, n in FIGURES)
        print(f"{label}{d}: {cells}")


if __name__ == "__main__":
    main()
