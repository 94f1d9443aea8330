#!/usr/bin/env python3
"""Full-size check of RoMa v2's fine features and refiners against romav2 2.0.1 in fp32.

romav2's VGG19BN(patch_size=4) and Refiners("roma-4-pow2") at full width, seeded random
weights (as the reduced fixture: fan-in scaled, random batch-norm statistics, warp head
× 16), autocast off in the refiner blocks (fp32; the VGG's autocast is device_type="cuda",
a no-op on CPU). One refinement pass at SIDE² on a real pair, both directions, seeded by
a smooth synthetic prior at SIDE/8 (as a matcher's output would be), strides 4, 2, 1.

  prepare DIR   weights.safetensors, inputs.safetensors (uint8 images, priors); light
  run DIR       romav2 on them → reference.safetensors (per stride and direction: warp,
                confidence); big memory (~6 GB at 1280, most of it native_torch_local_corr's
                sampled window at stride 4): run under `flock /work/wt/notes/bigmem.lock`
  compare DIR   reads DIR/ours.safetensors (written by the Swift side:
                roma-bench v2-refiner --dir DIR)
                and prints, per stride and direction, the warp difference in pixels of
                the image (share within 1e-3 px, median, max) and the confidence differences.
"""
import argparse
import os
import sys

import numpy as np
import torch
from safetensors.torch import load_file

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "fixtures"))
from make_roma2_refiner_fixtures import ANCHOR, WARP_HEAD_GAIN, load_pair, randomise, smooth_prior, to_input  # noqa: E402

from romav2.features import VGG19BN  # noqa: E402
from romav2.refiner import Refiners  # noqa: E402
from romav2.romav2 import _interpolate_warp_and_confidence  # noqa: E402
from atomic_save import save_atomic


def build(seed):
    vgg = randomise(VGG19BN(patch_size=4, pretrained=False), seed).eval()
    refiners = Refiners(Refiners.Cfg())
    for r in refiners.values():
        for block in [r.block1, *r.hidden_blocks]:
            block.enable_amp = False  # fp32 reference
    randomise(refiners, seed + 1)
    with torch.no_grad():
        for r in refiners.values():
            r.warp_head.weight.mul_(WARP_HEAD_GAIN)
    return vgg, refiners.eval()


def prepare(args):
    os.makedirs(args.dir, exist_ok=True)
    vgg, refiners = build(args.seed)
    side = args.side
    ims = load_pair(args.shared, side)
    inputs = {"image_A": torch.from_numpy(ims[0].copy()), "image_B": torch.from_numpy(ims[1].copy())}
    for i, d in enumerate(["AB", "BA"]):
        inputs[f"prior_{d}.warp"], inputs[f"prior_{d}.confidence"] = smooth_prior(side // 8, args.seed + 2 + i)
    weights = {f"refiner_features.{k}": v for k, v in vgg.state_dict().items()}
    weights.update({f"refiners.{k}": v for k, v in refiners.state_dict().items()})
    weights = {k: v.contiguous() for k, v in weights.items() if not k.endswith("num_batches_tracked")}
    meta = {"seed": str(args.seed), "side": str(side), "anchor": str(ANCHOR)}
    save_atomic(weights, os.path.join(args.dir, "weights.safetensors"), metadata=meta)
    save_atomic({k: v.contiguous() for k, v in inputs.items()}, os.path.join(args.dir, "inputs.safetensors"), metadata=meta)
    print("wrote", args.dir)


def run(args):
    torch.set_num_threads(args.threads)
    vgg, refiners = build(args.seed)
    weights = load_file(os.path.join(args.dir, "weights.safetensors"))
    for module, prefix in [(vgg, "refiner_features."), (refiners, "refiners.")]:
        missing, unexpected = module.load_state_dict(
            {k[len(prefix):]: v for k, v in weights.items() if k.startswith(prefix)}, strict=False)
        assert not unexpected and all(k.endswith("num_batches_tracked") for k in missing), (missing, unexpected)
    inputs = load_file(os.path.join(args.dir, "inputs.safetensors"))
    side = inputs["image_A"].shape[0]
    out = {}
    scale_factor = torch.tensor((side / ANCHOR, side / ANCHOR))
    with torch.inference_mode():
        feats = {x: vgg(to_input(inputs[f"image_{x}"].numpy())) for x in "AB"}
        for d in ["AB", "BA"]:
            warp, confidence = inputs[f"prior_{d}.warp"], inputs[f"prior_{d}.confidence"]
            fa, fb = feats[d[0]], feats[d[1]]
            for stride_str, refiner in refiners.items():
                s = int(stride_str)
                warp, confidence = _interpolate_warp_and_confidence(
                    warp=warp, confidence=confidence.clone(), H=side, W=side, patch_size=s, zero_out_precision=False)
                prev = warp
                res = refiner(f_A=fa[s], f_B=fb[s], prev_warp=warp, prev_confidence=confidence, scale_factor=scale_factor)
                warp, confidence = res["warp"], res["confidence"]
                step = ((warp - prev) * side / 2).norm(dim=-1)
                print(f"{d} stride {s}: refinement step median {step.median():.3f} px, max {step.max():.3f} px (image pixels)")
                out[f"{d}.s{s}.warp"], out[f"{d}.s{s}.confidence"] = warp, confidence
    save_atomic({k: v.contiguous() for k, v in out.items()}, os.path.join(args.dir, "reference.safetensors"))
    print("wrote", os.path.join(args.dir, "reference.safetensors"))


def compare(args):
    ref = load_file(os.path.join(args.dir, "reference.safetensors"))
    ours = load_file(os.path.join(args.dir, "ours.safetensors"))
    side = ref["AB.s1.warp"].shape[2]
    print(f"{'':4} {'stride':>6} {'within 1e-3 px':>15} {'median px':>10} {'max px':>10} "
          f"{'overlap max':>12} {'overlap mean':>12} {'precision rel. max':>18} {'rel. median':>12}")
    for d in ["AB", "BA"]:
        for s in [4, 2, 1]:
            rw, ow = ref[f"{d}.s{s}.warp"].double(), ours[f"{d}.s{s}.warp"].double()
            dist = ((ow - rw) * side / 2).norm(dim=-1).flatten()
            rc, oc = ref[f"{d}.s{s}.confidence"].double(), ours[f"{d}.s{s}.confidence"].double()
            ov = (oc[..., 0] - rc[..., 0]).abs()
            # Precision matrix P = [[p00, p10], [p10, p11]]: ‖ΔP‖_F / ‖P‖_F per pixel (p10 may cross 0).
            def frobenius(c):
                return (c[..., 1] ** 2 + 2 * c[..., 2] ** 2 + c[..., 3] ** 2).sqrt()
            rel = (frobenius(oc - rc) / frobenius(rc)).flatten()
            print(f"{d:4} {s:>6} {float((dist <= 1e-3).double().mean()) * 100:>14.3f}% {float(dist.median()):>10.2e} "
                  f"{float(dist.max()):>10.2e} {float(ov.max()):>12.2e} {float(ov.mean()):>12.2e} "
                  f"{float(rel.max()):>18.2e} {float(rel.median()):>12.2e}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("command", choices=["prepare", "run", "compare"])
    ap.add_argument("dir")
    ap.add_argument("--shared", default="../shared")
    ap.add_argument("--side", type=int, default=1280)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    {"prepare": prepare, "run": run, "compare": compare}[args.command](args)


if __name__ == "__main__":
    main()
