#!/usr/bin/env python3
"""Reads a roma.warp/3 file (RoMa v2's warp) with safetensors + numpy alone and checks what
the Swift reader checks: shapes, finiteness, overlap in [0, 1], precisions symmetric
positive semi-definite within 1e-4 of their largest entry. Prints the tensors; exits 1
naming the first problem.

Usage: python3 scripts/reference/check_warp3.py FILE.warp.safetensors
"""
import sys

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file


def check(path):
    meta = safe_open(path, "np").metadata() or {}
    if meta.get("schema") != "roma.warp/3":
        return f"schema is {meta.get('schema')!r}, not roma.warp/3"
    t = load_file(path)
    H, W, two = t["warp_ab"].shape
    directions = ["ab"] + (["ba"] if "warp_ba" in t else [])
    for d in directions:
        shapes = {f"warp_{d}": (H, W, 2), f"overlap_{d}": (H, W), f"precision_{d}": (H, W, 2, 2)}
        for name, shape in shapes.items():
            if t[name].shape != shape:
                return f"{name} has shape {t[name].shape}, expected {shape}"
            if not np.isfinite(t[name]).all():
                return f"{name} holds a non-finite value"
        o = t[f"overlap_{d}"]
        if o.min() < 0 or o.max() > 1:
            return f"overlap_{d} leaves [0, 1]: {o.min()} .. {o.max()}"
        P = t[f"precision_{d}"].astype(np.float64)
        scale = np.abs(P).max(axis=(-1, -2))
        if (np.abs(P[..., 0, 1] - P[..., 1, 0]) > 1e-4 * scale).any():
            return f"precision_{d} is not symmetric"
        if (np.linalg.eigvalsh(P)[..., 0] < -1e-4 * scale).any():
            return f"precision_{d} is not positive semi-definite"
    for name, value in sorted(t.items()):
        print(f"{name:14s} {str(value.dtype):8s} {value.shape}")
    print("metadata:", {k: v for k, v in meta.items() if k != "inputs"})
    return None


if __name__ == "__main__":
    problem = check(sys.argv[1])
    if problem:
        sys.exit(f"{sys.argv[1]}: {problem}")
    print(f"{sys.argv[1]}: a valid roma.warp/3")
