#!/usr/bin/env python3
"""romav2's input resizes of the prepared photo pair, for `roma-bench resize` (docs/roma2.md, "Precision").

Loads A.decoded and B.decoded from --dir (written by romav2_reference.py prepare) the way
`RoMaV2.match` does, through romav2 2.0.1's own `_load_image` (uint8 HWC → permuted → /255,
so the memory layout is romav2's too), and resizes each with its
F.interpolate(bicubic, align_corners=False, antialias=True) to every --sizes (square, as
the settings use: 800 low, 1024 or 1280 high). Writes --out (default
runs/roma2_resize/torch_resize.safetensors) with one [1, 3, s, s] float32 tensor per image
and size, named "A.800" and so on.
Then: .build/release/roma-bench resize --dir <dir> --reference <out>
"""
import argparse
import os
import sys

import torch
import torch.nn.functional as F
from safetensors.torch import load_file

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from atomic_save import save_atomic  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", required=True, help="folder holding A.decoded and B.decoded")
    ap.add_argument("--sizes", default="800,1024,1280", help="comma-separated square sizes")
    ap.add_argument("--out", default="runs/roma2_resize/torch_resize.safetensors")
    args = ap.parse_args()
    from romav2.romav2 import RoMaV2

    load = RoMaV2._load_image
    holder = type("Holder", (), {})()
    out = {}
    for label in "AB":
        pixels = load_file(os.path.join(args.dir, f"{label}.decoded"))["coarse"].numpy()
        image = load(holder, pixels)
        for s in (int(v) for v in args.sizes.split(",")):
            resized = F.interpolate(image, size=(s, s), mode="bicubic", align_corners=False, antialias=True)
            out[f"{label}.{s}"] = resized.contiguous()
            print(f"{label} {tuple(image.shape)} (strides {image.stride()}) → {s}×{s}")
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    save_atomic(out, args.out, metadata={"torch": torch.__version__, "cpu_capability": torch.backends.cpu.get_cpu_capability()})
    print("wrote", args.out)


if __name__ == "__main__":
    main()
