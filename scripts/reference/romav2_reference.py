#!/usr/bin/env python3
"""Full-size RoMa v2 reference (romav2 2.0.1, seeded random weights) on the sacre_coeur pair,
for the parity and speed checks of `roma match --model roma2`.

  prepare: writes into OUT (default runs/roma2, not committed)
      romav2_random.safetensors   RoMaV2's whole state dict (prefixes f., matcher.,
                                  refiner_features., refiners.*), romav2_env.build + randomise
      A.decoded, B.decoded        roma.decoded/1 with each image at its own size (uint8, Pillow's
                                  decoder), what `roma decode --preset roma2` writes and what
                                  romav2's `match` reads
  run:     loads those files, runs RoMaV2.match on CPU in the given setting and writes
           reference_<setting>[_bf16].safetensors: warp_ab/ba [H, W, 2], overlap_ab/ba [H, W]
           (after the sigmoid and threshold), precision_ab/ba [H, W, 2, 2]; prints time and peak RSS.

fp32 (default): every autocast site disabled (descriptor weights kept in float32 with
Descriptor.Cfg enable_amp False; matcher and refiners enable_amp False; the DPT head's
autocast, which has no switch, forced off too) and float32 matmul precision "highest".
--bf16 runs romav2's own default (bf16 autocast, descriptor cast to bf16).

Usage: python scripts/reference/romav2_reference.py prepare|run [--setting precise] [--out runs/roma2] [--threads 2] [--bf16]
"""
import argparse
import dataclasses
import json
import os
import resource
import sys
import time

import numpy as np
import torch
from PIL import Image
from safetensors.torch import load_file

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
import romav2_env  # noqa: E402
from atomic_save import save_atomic


def fp32_cfg():
    """RoMaV2.Cfg with every enable_amp switch off."""
    from romav2.romav2 import RoMaV2
    base = RoMaV2.Cfg()
    return dataclasses.replace(base, descriptor=dataclasses.replace(base.descriptor, enable_amp=False),
                               matcher=dataclasses.replace(base.matcher, enable_amp=False),
                               refiners=dataclasses.replace(base.refiners, enable_amp=False)
                               if hasattr(base.refiners, "enable_amp") else base.refiners)


def write_decoded(path, pixels, source):
    h, w = pixels.shape[:2]
    meta = {"schema": "roma.decoded/1", "width": str(w), "height": str(h), "source": source, "stage": "reference-prepare"}
    save_atomic({"coarse": torch.from_numpy(np.ascontiguousarray(pixels))}, path, metadata=meta)


def prepare(args):
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(args.seed)
    model = romav2_env.randomise(romav2_env.build("precise", cfg=fp32_cfg()), args.seed)
    save_atomic(romav2_env.state_dict(model), os.path.join(args.out, "romav2_random.safetensors"))
    for label in ["A", "B"]:
        src = os.path.join(args.shared, "images", f"sacre_coeur_{label}.jpg")
        write_decoded(os.path.join(args.out, f"{label}.decoded"), np.asarray(Image.open(src).convert("RGB")), src)
    print("prepared", args.out)


def load_model(args):
    """RoMaV2 in the setting, the prepared weights loaded strictly."""
    cfg = None if args.bf16 else fp32_cfg()
    model = romav2_env.build(args.setting, cfg=cfg)
    state = load_file(os.path.join(args.out, "romav2_random.safetensors"))
    if args.bf16:
        # romav2 casts the frozen descriptor to bf16 at construction; keep that dtype.
        own = model.state_dict()
        state = {k: v.to(own[k].dtype) for k, v in state.items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.endswith("num_batches_tracked")]
    if missing or unexpected:
        sys.exit(f"weights do not fit: missing {missing[:5]}, unexpected {unexpected[:5]}")
    return model.eval()


def run(args):
    torch.set_num_threads(args.threads)
    torch.set_grad_enabled(False)
    torch.set_float32_matmul_precision("highest")
    t0 = time.time()
    model = load_model(args)
    images = [load_file(os.path.join(args.out, f"{x}.decoded"))["coarse"].numpy() for x in "AB"]
    t1, c1 = time.time(), time.process_time()
    if args.bf16:
        preds = model.match(images[0], images[1])
    else:
        with romav2_env.no_autocast():
            preds = model.match(images[0], images[1])
    t2, c2 = time.time(), time.process_time()
    out = {}
    for d, D in [("ab", "AB"), ("ba", "BA")]:
        if preds[f"warp_{D}"] is None:
            continue
        out[f"warp_{d}"] = preds[f"warp_{D}"][0].float().contiguous()
        out[f"overlap_{d}"] = preds[f"overlap_{D}"][0, ..., 0].float().contiguous()
        # before the setting's threshold: what roma.warp/3 stores (the threshold is its metadata)
        out[f"overlap_raw_{d}"] = preds[f"confidence_{D}"][0, ..., 0].float().sigmoid().contiguous()
        out[f"precision_{d}"] = preds[f"precision_{D}"][0].float().contiguous()
    h, w = images[0].shape[:2]
    hb, wb = images[1].shape[:2]
    name = f"reference_{args.setting}{'_bf16' if args.bf16 else ''}.safetensors"
    save_atomic(out, os.path.join(args.out, name), metadata={
        "schema": "romav2-reference", "setting": args.setting, "precision": "bf16" if args.bf16 else "fp32",
        "width_a": str(w), "height_a": str(h), "width_b": str(wb), "height_b": str(hb)})
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2
    print(json.dumps({"setting": args.setting, "load_seconds": round(t1 - t0, 2), "match_seconds": round(t2 - t1, 2),
                      "match_cpu_seconds": round(c2 - c1, 2), "peak_rss_gb": round(peak_gb, 3), "threads": args.threads,
                      "precision": "bf16" if args.bf16 else "fp32", "torch": torch.__version__, "output": name}))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("step", choices=["prepare", "run"])
    ap.add_argument("--out", default=os.path.join(ROOT, "runs", "roma2"), help="working folder")
    ap.add_argument("--shared", default=os.environ.get("ROMA_SHARED", os.path.join(ROOT, "..", "shared")))
    ap.add_argument("--setting", default="precise", choices=["turbo", "fast", "base", "precise", "mega1500", "scannet1500"])
    ap.add_argument("--seed", type=int, default=0, help="seed of the random weights")
    ap.add_argument("--threads", type=int, default=2, help="torch threads")
    ap.add_argument("--bf16", action="store_true", help="romav2's default bf16 autocast instead of fp32")
    args = ap.parse_args()
    prepare(args) if args.step == "prepare" else run(args)


if __name__ == "__main__":
    main()
