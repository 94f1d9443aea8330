#!/usr/bin/env python3
"""Converts a torch checkpoint (roma_outdoor.pth, roma_indoor.pth,
dinov2_vitl14_pretrain.pth) to safetensors for builds without the .pth loader.

Loads with torch.load(weights_only=True), so nothing in the pickle is executed
beyond tensor rebuilding. Keys are kept as they are (official state-dict names).

Usage: python scripts/reference/convert_checkpoint.py IN.pth [OUT.safetensors]
"""
import os
import sys

import torch
from atomic_save import save_atomic


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    src = sys.argv[1]
    dst = sys.argv[2] if len(sys.argv) == 3 else os.path.splitext(src)[0] + ".safetensors"
    state = torch.load(src, map_location="cpu", weights_only=True)
    if "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    tensors = {k: v.contiguous() for k, v in state.items() if isinstance(v, torch.Tensor) and not k.endswith("num_batches_tracked")}
    save_atomic(tensors, dst)
    print(f"{dst}: {len(tensors)} tensors")


if __name__ == "__main__":
    main()
