#!/usr/bin/env python3
"""Compares a roma.warp artifact (version 2: U16 certainties; version 1: float32) against the reference's (full_size_reference.py run).

Prints, per direction, the distribution of the end-point differences of the warps in pixels
of the warp grid (normalised difference × side / 2): share within 0.01 px, median, share beyond
1 px, mean and max; and the certainties' mean and max difference. Exits 1 when a direction misses
the parity targets of issue 13: >= 98.5 % of pixels within 0.01 px, median < 1e-3 px, mean
certainty difference < 1e-4. The mean warp difference is reported but is no target: one coarse
token decided the other way at a near-tie moves a few hundred pixels by tens of pixels, which
dominates a mean while leaving the distribution's share and median untouched.

Where the reference recorded its anchor-logit gaps, the same figures are also given
away from near-ties: coarse tokens whose top-2 anchor logits differ by less than
1e-4 of their magnitude (there the argmax, hence the coarse match, hinges on float32
rounding, and either answer is as faithful), dilated by 2 tokens for the refiners' reach.

With a third file, the reference computed in float64 (`full_size_reference.py run
--float64`), it also reports how far ours and the float32 reference each are from
that near-exact result: the spread float32 arithmetic itself causes.

RoMa v2 (our roma.warp/3 against romav2_reference.py's output, recognised by its overlap
tensors): per direction present in both, the share of pixels within 0.01 px, the median and
the share beyond 1 px (pixels of the warp grid), the overlap's mean and max difference
(before the setting's threshold, as roma.warp/3 stores it) and the precision matrices'
relative difference (Frobenius norm of the difference over that of the reference, per
pixel: median and 99th percentile; and over the whole image). Targets: >= 98.5 % within
0.01 px, median < 1e-3 px, overlap mean difference < 1e-4.

Usage: python scripts/reference/compare_warp.py OURS.warp runs/fullsize/reference.safetensors [runs/fullsize/reference_float64.safetensors]
       python scripts/reference/compare_warp.py OURS.warp runs/roma2/reference_precise.safetensors
"""
import json
import sys

import torch
import torch.nn.functional as F

from safetensors.torch import load_file


def certainty(t):
    """roma.warp/2 stores certainty as 16-bit fractions of one (u / 65535)."""
    return t.to(torch.int32).double() / 65535 if t.dtype == torch.uint16 else t.double()


def differences(a, b, d):
    """Per-pixel end-point distance (pixels of the warp grid) and certainty distance."""
    w, wr = a[f"warp_{d}"].double(), b[f"warp_{d}"].double()
    h, wd = w.shape[0], w.shape[1]
    px = ((w - wr) * w.new_tensor([wd / 2, h / 2])).norm(dim=-1)
    return px, (certainty(a[f"certainty_{d}"]) - certainty(b[f"certainty_{d}"])).abs()


def summary(px, dc):
    return {"within_0.01px": float((px <= 0.01).double().mean()), "median_px": float(px.median()),
            "frac_warp_over_1px": float((px > 1).double().mean()),
            "mean_warp_px": float(px.mean()), "max_warp_px": float(px.max()),
            "mean_certainty": float(dc.mean()), "max_certainty": float(dc.max())}


def meets_targets(r):
    """Issue 13's parity targets for one direction."""
    return r["within_0.01px"] >= 0.985 and r["median_px"] < 1e-3 and r["mean_certainty"] < 1e-4


def roma2_report(ours, ref):
    """RoMa v2 figures per direction; True when the targets are met."""
    report, ok = {}, True
    for d in ["ab", "ba"]:
        if f"warp_{d}" not in ref or f"warp_{d}" not in ours:
            continue
        w, wr = ours[f"warp_{d}"].double(), ref[f"warp_{d}"].double()
        h, wd = w.shape[0], w.shape[1]
        px = ((w - wr) * w.new_tensor([wd / 2, h / 2])).norm(dim=-1).flatten()
        ov = ref[f"overlap_raw_{d}"] if f"overlap_raw_{d}" in ref else ref[f"overlap_{d}"]
        mine = ours[f"overlap_raw_{d}"] if f"overlap_raw_{d}" in ours else ours[f"overlap_{d}"]  # a reference as OURS: bf16 vs fp32
        do = (mine.double() - ov.double()).abs()
        p, pr = ours[f"precision_{d}"].double().reshape(h, wd, 4), ref[f"precision_{d}"].double().reshape(h, wd, 4)
        rel = (p - pr).norm(dim=-1) / pr.norm(dim=-1).clamp_min(1e-12)
        r = {"within_0.01px": float((px <= 0.01).double().mean()), "median_px": float(px.median()),
             "mean_px": float(px.mean()), "max_px": float(px.max()), "over_1px": float((px > 1).double().mean()),
             "overlap_mean_diff": float(do.mean()), "overlap_max_diff": float(do.max()),
             "precision_rel_median": float(rel.median()), "precision_rel_p99": float(rel.flatten().kthvalue(max(1, int(0.99 * rel.numel()))).values),
             "precision_rel_total": float((p - pr).norm() / pr.norm())}
        r["pass"] = r["within_0.01px"] >= 0.985 and r["median_px"] < 1e-3 and r["overlap_mean_diff"] < 1e-4
        ok &= r["pass"]
        report[d] = r
    return report, ok and bool(report)


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    ours, ref = load_file(sys.argv[1]), load_file(sys.argv[2])
    if "overlap_ab" in ref:
        report, ok = roma2_report(ours, ref)
        print(json.dumps(report, indent=1))
        print("PASS" if ok else "FAIL: targets are >= 98.5 % within 0.01 px, median < 1e-3 px, overlap mean difference < 1e-4")
        sys.exit(0 if ok else 1)
    exact = load_file(sys.argv[3]) if len(sys.argv) == 4 else None
    report, ok = {}, True
    for d in ["ab", "ba"]:
        px, dc = differences(ours, ref, d)
        h, wd = px.shape
        report[d] = summary(px, dc)
        if exact is not None:
            report[d]["ours_vs_float64"] = summary(*differences(ours, exact, d))
            report[d]["reference_vs_float64"] = summary(*differences(ref, exact, d))
        report[d]["pass"] = meets_targets(report[d])
        ok &= report[d]["pass"]
        if f"anchor_gap_{d}" in ref:
            gap = ref[f"anchor_gap_{d}"].double()
            tie = (gap < 1e-4).double()[None, None]
            near = F.max_pool2d(tie, 5, stride=1, padding=2)
            near = F.interpolate(near, size=(h, wd), mode="nearest")[0, 0] > 0
            keep = ~near
            report[d].update({"near_tie_tokens": int(tie.sum()), "min_anchor_gap": float(gap.min()),
                              "excluded_pixel_fraction": float(near.double().mean()),
                              "mean_warp_px_away_from_ties": float(px[keep].mean()) if keep.any() else None,
                              "max_warp_px_away_from_ties": float(px[keep].max()) if keep.any() else None,
                              "mean_certainty_away_from_ties": float(dc[keep].mean()) if keep.any() else None})
    print(json.dumps(report, indent=1))
    print("PASS" if ok else "FAIL: targets per direction are >= 98.5 % within 0.01 px, median < 1e-3 px, mean certainty difference < 1e-4")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
