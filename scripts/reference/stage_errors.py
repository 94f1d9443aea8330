#!/usr/bin/env python3
"""Per-stage error of ours (float32) and romatch float32, each against romatch float64, on
full-size seeded random weights, both directions; and ours against romatch float32 as a
distribution over pixels (the README's parity line).

Each DIR is a folder prepared by `full_size_reference.py prepare --seed S --out DIR` holding
  stages.safetensors           full_size_reference.py run --stages --out DIR
  stages_float64.safetensors   full_size_reference.py run --stages --float64 --out DIR
  stages_ours.safetensors      roma-bench stages --dir DIR
(`stages_ours*.safetensors` other than that, e.g. from another build, with --ours NAME.)

Metrics (float64 run = x64):
  features (DINOv2, VGG, GP posterior, certainty logits): relative RMS error ||x - x64|| / ||x64||
  anchor logits: relative RMS error; tokens whose argmax differs from float64's ("flips"); the
      largest error of a token's top-2 margin, (l[i1] - l[i2]) - (l64[i1] - l64[i2]) with i1, i2
      float64's two best anchors, relative to max|l64| of the token (a token flips when it
      exceeds float64's own relative margin); and the smallest such margin (float64's)
  flows after each scale, final warp: end-point distance in pixels of that scale's grid:
      median, share of pixels > 1 px, share within 0.01 px
  certainty after each scale (logits) and final certainty (after sigmoid): mean |difference|

Usage: python scripts/reference/stage_errors.py DIR [DIR ...] [--ours stages_ours.safetensors] [--json OUT] [--markdown]
"""
import argparse
import json
import os

import torch
from safetensors.torch import load_file

SCALES_COARSE, SCALES_FINE = [16, 8, 4, 2, 1], [8, 4, 2, 1]


def as_ref(x, ref):
    """Our tensors carry a leading batch dim, anchor logits as tokens [1, h·w, anchors]."""
    x = x.double()
    if x.dim() == 3 and ref.dim() == 3 and x.shape[-1] == ref.shape[0] and x.shape[0] == 1:
        return x[0].t().reshape(ref.shape)
    return x.reshape(ref.shape)


def rel_rms(x, r):
    return float((x - r).norm() / r.norm())


def epe(x, r):
    """Flow [2, h, w] (or warp [h, w, 2]) in normalised coordinates → pixels of its grid."""
    if x.shape[0] != 2:
        x, r = x.permute(2, 0, 1), r.permute(2, 0, 1)
    h, w = x.shape[1], x.shape[2]
    d = (x - r) * torch.tensor([w / 2, h / 2], dtype=torch.float64)[:, None, None]
    return d.norm(dim=0)


def flow_summary(px):
    return {"median_px": float(px.median()), "mean_px": float(px.mean()), "max_px": float(px.max()),
            "over_1px": float((px > 1).double().mean()), "within_0.01px": float((px <= 0.01).double().mean())}


def logit_summary(x, r):
    c = r.shape[0]
    x, r = x.reshape(c, -1), r.reshape(c, -1)
    top = r.topk(2, dim=0)
    i1, i2 = top.indices[0], top.indices[1]
    scale = r.abs().amax(dim=0)
    margin64 = (top.values[0] - top.values[1]) / scale
    cols = torch.arange(r.shape[1])
    margin = (x[i1, cols] - x[i2, cols]) / scale
    return {"rel_rms": rel_rms(x, r), "flips": int((x.argmax(dim=0) != i1).sum()),
            "max_margin_error": float((margin - margin64).abs().max()), "min_margin_float64": float(margin64.min())}


def stage_errors(s, ref):
    out = {}
    for x in "ab":
        out[f"dinov2_{x}"] = rel_rms(as_ref(s[f"dinov2_{x}"], ref[f"dinov2_{x}"]), ref[f"dinov2_{x}"])
        for k in (1, 2, 4, 8):
            out[f"vgg{k}_{x}"] = rel_rms(as_ref(s[f"vgg{k}_{x}"], ref[f"vgg{k}_{x}"]), ref[f"vgg{k}_{x}"])
    for d in ["ab", "ba"]:
        out[f"gp_{d}"] = rel_rms(as_ref(s[f"gp_{d}"], ref[f"gp_{d}"]), ref[f"gp_{d}"])
        out[f"logits_{d}"] = logit_summary(as_ref(s[f"logits_{d}"], ref[f"logits_{d}"]), ref[f"logits_{d}"])
        out[f"gm_certainty_{d}"] = rel_rms(as_ref(s[f"gm_certainty_{d}"], ref[f"gm_certainty_{d}"]), ref[f"gm_certainty_{d}"])
        for p, scales in (("coarse", SCALES_COARSE), ("fine", SCALES_FINE)):
            for k in scales:
                f, c = f"{p}_flow{k}_{d}", f"{p}_certainty{k}_{d}"
                out[f] = flow_summary(epe(as_ref(s[f], ref[f]), ref[f]))
                out[c] = float((as_ref(s[c], ref[c]) - ref[c]).abs().mean())
        out[f"warp_{d}"] = flow_summary(epe(as_ref(s[f"warp_{d}"], ref[f"warp_{d}"]), ref[f"warp_{d}"].double()))
        out[f"certainty_{d}"] = float((as_ref(s[f"certainty_{d}"], ref[f"certainty_{d}"]) - ref[f"certainty_{d}"].double()).abs().mean())
    return out


def final_only(s, ref):
    """Ours against romatch float32 (both float32): the warp distribution and certainty."""
    out = {}
    for d in ["ab", "ba"]:
        out[f"warp_{d}"] = flow_summary(epe(s[f"warp_{d}"].double(), ref[f"warp_{d}"].double()))
        out[f"certainty_{d}"] = float((s[f"certainty_{d}"].double() - ref[f"certainty_{d}"].double()).abs().mean())
    return out


def load(path):
    return {k: v.double() for k, v in load_file(path).items()}


def markdown(results):
    seeds = list(results)
    worst = lambda who, key, f: max(f(results[s][who][key]) for s in seeds)  # noqa: E731
    fmt = lambda v: f"{v:.1e}" if v else "0"  # noqa: E731
    lines = [f"Worst over {len(seeds)} seeds ({', '.join(seeds)}); each cell: ours / romatch float32, both against romatch float64.", "",
             "| stage | A→B | B→A |", "| --- | --- | --- |"]

    def row(label, key_of, f, show=fmt):
        cells = []
        for d, x in (("ab", "a"), ("ba", "b")):
            key = key_of(d, x)
            cells.append(f"{show(worst('ours', key, f))} / {show(worst('torch32', key, f))}")
        lines.append(f"| {label} | {cells[0]} | {cells[1]} |")

    ident = lambda v: v  # noqa: E731
    row("DINOv2 features of the query image (A; B), rel. RMS", lambda d, x: f"dinov2_{x}", ident)
    for k in (1, 2, 4, 8):
        row(f"VGG stride {k} (A; B), rel. RMS", lambda d, x, k=k: f"vgg{k}_{x}", ident)
    row("GP posterior, rel. RMS", lambda d, x: f"gp_{d}", ident)
    row("anchor logits, rel. RMS", lambda d, x: f"logits_{d}", lambda v: v["rel_rms"])
    row("anchor logits, max top-2 margin error (rel.)", lambda d, x: f"logits_{d}", lambda v: v["max_margin_error"])
    row("anchor argmax flips (tokens of 1600)", lambda d, x: f"logits_{d}", lambda v: v["flips"], str)
    row("match certainty logit, rel. RMS", lambda d, x: f"gm_certainty_{d}", ident)
    pct = lambda v: f"{100 * v:.2f} %"  # noqa: E731
    for p, scales in (("coarse", SCALES_COARSE), ("fine", SCALES_FINE)):
        for k in scales:
            row(f"{p} pass, flow after refiner {k}: median px", lambda d, x, p=p, k=k: f"{p}_flow{k}_{d}", lambda v: v["median_px"])
            row(f"{p} pass, flow after refiner {k}: pixels > 1 px", lambda d, x, p=p, k=k: f"{p}_flow{k}_{d}", lambda v: v["over_1px"], pct)
            row(f"{p} pass, certainty logit after refiner {k}: mean abs", lambda d, x, p=p, k=k: f"{p}_certainty{k}_{d}", ident)
    row("final warp: median px", lambda d, x: f"warp_{d}", lambda v: v["median_px"])
    row("final warp: pixels within 0.01 px (lowest)", lambda d, x: f"warp_{d}", lambda v: -v["within_0.01px"], lambda v: pct(-v))
    row("final warp: pixels > 1 px", lambda d, x: f"warp_{d}", lambda v: v["over_1px"], pct)
    row("final certainty: mean abs", lambda d, x: f"certainty_{d}", ident)
    lines += ["", "Final warp per seed against romatch float64 (pixels > 1 px / max px; ours | romatch float32), and ours against romatch float32:", "",
              "| seed | A→B ours vs f64 | A→B romatch f32 vs f64 | B→A ours vs f64 | B→A romatch f32 vs f64 "
              "| ours vs romatch f32, A→B: within 0.01 px / median / > 1 px | B→A |",
              "| --- | --- | --- | --- | --- | --- | --- |"]
    for s in seeds:
        r = results[s]
        c64 = [f"{pct(r['ours'][f'warp_{d}']['over_1px'])} / {r['ours'][f'warp_{d}']['max_px']:.2g} | "
               f"{pct(r['torch32'][f'warp_{d}']['over_1px'])} / {r['torch32'][f'warp_{d}']['max_px']:.2g}" for d in ("ab", "ba")]
        par = [f"{pct(r['parity'][f'warp_{d}']['within_0.01px'])} / {r['parity'][f'warp_{d}']['median_px']:.1e} / "
               f"{pct(r['parity'][f'warp_{d}']['over_1px'])}" for d in ("ab", "ba")]
        lines.append(f"| {s} | {c64[0]} | {c64[1]} | {par[0]} | {par[1]} |")
    return "\n".join(lines)


def parity_markdown(parity):
    pct = lambda v: f"{100 * v:.2f} %"  # noqa: E731
    lines = ["", "Ours against romatch float32, every pixel (seeds with or without a float64 run):", "",
             "| seed | A→B: within 0.01 px / median / > 1 px | B→A |", "| --- | --- | --- |"]
    for s, r in parity.items():
        cells = [f"{pct(r[f'warp_{d}']['within_0.01px'])} / {r[f'warp_{d}']['median_px']:.1e} px / {pct(r[f'warp_{d}']['over_1px'])}"
                 for d in ("ab", "ba")]
        lines.append(f"| {s} | {cells[0]} | {cells[1]} |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dirs", nargs="+")
    ap.add_argument("--ours", default="stages_ours.safetensors")
    ap.add_argument("--json", help="write every figure here")
    ap.add_argument("--markdown", action="store_true", help="print the docs/model.md tables")
    args = ap.parse_args()
    results, bad = {}, []
    parity = {}
    for d in args.dirs:
        torch32, ours = load(f"{d}/stages.safetensors"), load(f"{d}/{args.ours}")
        if "warp_ab" not in torch32:  # stages written before the final warp was added: the float32 run's own file
            torch32.update({k: v for k, v in load(f"{d}/reference.safetensors").items() if not k.startswith("anchor_gap")})
        name = d.rstrip("/").split("/")[-1]
        parity[name] = final_only(ours, torch32)
        if not os.path.exists(f"{d}/stages_float64.safetensors"):
            continue  # no float64 run for this seed: parity with romatch float32 only
        ref = load(f"{d}/stages_float64.safetensors")
        results[name] = {"ours": stage_errors(ours, ref), "torch32": stage_errors(torch32, ref), "parity": parity[name]}
        del ref
        for dd in ("ab", "ba"):
            if results[name]["torch32"][f"warp_{dd}"]["over_1px"] == 0 and results[name]["ours"][f"warp_{dd}"]["over_1px"] > 0:
                bad.append(f"{name} {dd}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"float64": results, "parity": parity}, f, indent=1)
    if args.markdown:
        if results:
            print(markdown(results))
        print(parity_markdown(parity))
    else:
        print(json.dumps(results, indent=1))
    print("seeds/directions where romatch float32 is within 1 px of float64 everywhere and ours is not:", bad or "none")


if __name__ == "__main__":
    main()
