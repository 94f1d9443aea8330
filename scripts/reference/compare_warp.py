#!/usr/bin/env python3
"""Compares a roma.warp/1 artifact against the reference's (full_size_reference.py run).

Prints mean and max differences of the warps in pixels of the warp grid (normalised
difference × side / 2) and of the certainties, both directions, and exits 1 when the
issue's targets (mean warp < 0.01 px, mean certainty < 1e-4) are missed.

Usage: python scripts/reference/compare_warp.py OURS.warp runs/fullsize/reference.safetensors
"""
import json
import sys

from safetensors.torch import load_file


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    ours, ref = load_file(sys.argv[1]), load_file(sys.argv[2])
    report, ok = {}, True
    for d in ["ab", "ba"]:
        w, wr = ours[f"warp_{d}"].double(), ref[f"warp_{d}"].double()
        c, cr = ours[f"certainty_{d}"].double(), ref[f"certainty_{d}"].double()
        h, wd = w.shape[0], w.shape[1]
        px = (w - wr).abs() * w.new_tensor([wd / 2, h / 2])
        dc = (c - cr).abs()
        report[d] = {"mean_warp_px": float(px.mean()), "max_warp_px": float(px.max()),
                     "frac_warp_over_1px": float((px.max(dim=-1).values > 1).double().mean()),
                     "mean_certainty": float(dc.mean()), "max_certainty": float(dc.max())}
        ok &= report[d]["mean_warp_px"] < 0.01 and report[d]["mean_certainty"] < 1e-4
    print(json.dumps(report, indent=1))
    print("PASS" if ok else "FAIL: targets are mean warp < 0.01 px and mean certainty < 1e-4")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
