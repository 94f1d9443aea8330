#!/usr/bin/env python3
"""Full-size parity input for RoMa v2's DINOv3 descriptor (docs/roma2.md, "Descriptor (DINOv3)").

Builds romav2 2.0.1's `Descriptor` (dinov3_vitl16 at DINOv3 adc2544, layers [11, 17]) offline
with `romav2_env`, autocast disabled and weights kept in float32, seeded random weights
(`romav2_env.randomise`), and runs it on ../shared/images/sacre_coeur_A.jpg loaded and resized
as `RoMaV2.match` does (uint8 → /255, bicubic antialiased interpolation to 800×800).

Writes into --out (default runs/roma2_descriptor):
  weights.safetensors  the descriptor's state dict under romav2's prefix `f.` (1.2 GB)
  io.safetensors       image [1, 3, 800, 800] and the reference's out.0 / out.1 [1, 50, 50, 1024];
                       with --bf16 also out_bf16.0 / out_bf16.1: the same descriptor as romav2 runs
                       by default (weights cast to bf16, bf16 autocast), for `roma-bench descriptor --bf16`

Then the Swift side (reads the same files, compares, prints the figures):
  .build/release/roma-bench descriptor --dir runs/roma2_descriptor
Both are memory-hungry enough to go under `flock /work/wt/notes/bigmem.lock` on a shared machine.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
import romav2_env  # noqa: E402
from atomic_save import save_atomic


def build_descriptor(seed):
    from romav2.features import Descriptor

    torch.manual_seed(seed)
    with romav2_env.offline_hub():
        desc = Descriptor(Descriptor.Cfg(enable_amp=False))
    romav2_env.randomise(desc, seed)
    desc = desc.eval()
    assert all(v.dtype == torch.float32 for v in desc.state_dict().values() if v.is_floating_point())
    return desc


def load_image(path, size):
    img = torch.from_numpy(np.array(Image.open(path).convert("RGB"))).permute(2, 0, 1)[None].float() / 255.0
    return F.interpolate(img, size=size, mode="bicubic", align_corners=False, antialias=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", default=os.environ.get("ROMA_SHARED", os.path.join(ROOT, "..", "shared")))
    ap.add_argument("--out", default=os.path.join(ROOT, "runs", "roma2_descriptor"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--side", type=int, default=800, help="romav2's low-resolution side (precise, mega1500)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--bf16", action="store_true", help="also record romav2's default bf16 descriptor")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.set_float32_matmul_precision("highest")
    desc = build_descriptor(args.seed)
    image = load_image(os.path.join(args.shared, "images", "sacre_coeur_A.jpg"), (args.side, args.side))
    with torch.inference_mode():
        t0 = time.time()
        outs = desc(image)
        seconds = time.time() - t0
    os.makedirs(args.out, exist_ok=True)
    state = {"f." + k: v for k, v in romav2_env.state_dict(desc).items()}
    save_atomic(state, os.path.join(args.out, "weights.safetensors"))
    io = {"image": image.contiguous()}
    for j, o in enumerate(outs):
        io[f"out.{j}"] = o.float().contiguous()
    if args.bf16:
        from romav2.features import Descriptor
        with romav2_env.offline_hub():
            amp = Descriptor(Descriptor.Cfg(enable_amp=True))   # wrap_model casts it to bf16
        own = amp.state_dict()
        amp.load_state_dict({k: v.to(own[k].dtype) for k, v in desc.state_dict().items()})
        with torch.inference_mode():
            for j, o in enumerate(amp.eval()(image)):
                io[f"out_bf16.{j}"] = o.float().contiguous()
    meta = {"seed": str(args.seed), "layers": json.dumps([11, 17]), "side": str(args.side), "romav2": "2.0.1",
            "dinov3": romav2_env.DINOV3_COMMIT, "torch": torch.__version__, "reference_seconds": f"{seconds:.2f}"}
    save_atomic(io, os.path.join(args.out, "io.safetensors"), metadata=meta)
    print(f"reference descriptor {seconds:.1f} s on {args.threads} threads;",
          ", ".join(f"out.{j} {tuple(o.shape)} max|x| {o.abs().max().item():.3g}" for j, o in enumerate(outs)))


if __name__ == "__main__":
    main()
