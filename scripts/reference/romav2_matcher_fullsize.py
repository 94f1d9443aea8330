#!/usr/bin/env python3
"""Full-size reference for RoMa v2's matcher alone (`roma-bench v2-matcher`, docs/roma2.md).

romav2 2.0.1's Matcher at its released widths (vit_base 768/12/12, dim 1024, DPT 256 /
[256, 512, 1024, 1024]) with seeded random weights (romav2_env.randomise's scheme; RoPE
periods, temperature, scale and omega as constructed under torch.manual_seed(seed)), on an
800×800 pair (50×50 tokens per view) with seeded standard-normal descriptor features (the
shape and scale of DINOv3's layer-normalised tokens), run in float32 with autocast off,
both directions. Writes into OUT:

  weights.safetensors    the state dict under `matcher.` (about 470 MB)
  inputs.safetensors     f_A.0, f_A.1, f_B.0, f_B.1 [1, 50, 50, 1024], img_A, img_B [1, 3, 800, 800]
  reference.safetensors  warp_AB, confidence_AB, warp_BA, confidence_BA [1, 200, 200, 2 | 1];
                         metadata: seed, torch threads, wall seconds of the forward pass

Usage: flock /work/wt/notes/bigmem.lock python scripts/reference/romav2_matcher_fullsize.py [--out runs/roma2_matcher] [--seed 0]
"""
import argparse
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
from make_roma2_matcher_fixtures import float32_reference  # noqa: E402
from romav2_env import randomise  # noqa: E402  (make_roma2_matcher_fixtures put scripts/reference on the path)
from atomic_save import save_atomic


def full_matcher(seed):
    from romav2.matcher import Matcher
    torch.manual_seed(seed)
    model = Matcher(Matcher.Cfg(enable_amp=False))
    omega = model.omega.clone()
    randomise(model, seed)
    with torch.no_grad():
        model.omega.copy_(omega)
    return model.eval()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", default="runs/roma2_matcher")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--side", type=int, default=800)
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)
    model = full_matcher(args.seed)
    save_atomic({f"matcher.{k}": v.contiguous() for k, v in model.state_dict().items()},
              os.path.join(args.out, "weights.safetensors"))
    gen = torch.Generator().manual_seed(args.seed + 1)
    t = args.side // 16
    inputs = {f"f_{v}.{i}": torch.randn(1, t, t, 1024, generator=gen) for v in "AB" for i in range(2)}
    inputs["img_A"] = torch.rand(1, 3, args.side, args.side, generator=gen)
    inputs["img_B"] = torch.rand(1, 3, args.side, args.side, generator=gen)
    save_atomic(inputs, os.path.join(args.out, "inputs.safetensors"))
    with float32_reference():
        start = time.perf_counter()
        preds = model([inputs["f_A.0"].clone(), inputs["f_A.1"].clone()], [inputs["f_B.0"].clone(), inputs["f_B.1"].clone()],
                      img_A=inputs["img_A"], img_B=inputs["img_B"], bidirectional=True)
        seconds = time.perf_counter() - start
    out = {k: preds[k].contiguous() for k in ("warp_AB", "confidence_AB", "warp_BA", "confidence_BA")}
    meta = {"seed": str(args.seed), "threads": str(torch.get_num_threads()), "seconds": f"{seconds:.2f}",
            "generator": "scripts/reference/romav2_matcher_fullsize.py", "romav2": "2.0.1"}
    save_atomic(out, os.path.join(args.out, "reference.safetensors"), metadata=meta)
    print(f"reference forward {seconds:.1f} s on {torch.get_num_threads()} threads; files in {args.out}")


if __name__ == "__main__":
    main()
