#!/usr/bin/env python3
"""Reads a roma.warp/3 file (RoMa v2's warp) with safetensors + numpy alone and checks what
the Swift reader checks: shapes, finiteness, overlap in [0, 1], precisions symmetric
positive semi-definite within 1e-4 of their largest entry. Reads both encodings
(docs/artifacts.md): exact (float32) and compact (U16 fixed-point warp over [-1, 1],
U16 overlap fractions, F16 Cholesky factors `precision_cholesky_*` instead of
`precision_*`); `load(path)` returns the decoded float32 tensors. Prints the tensors;
exits 1 naming the first problem.

Usage: python3 scripts/reference/check_warp3.py FILE.warp.safetensors
"""
import sys

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file


def decode(t, d):
    """Direction d's warp, overlap and precision as float32, from either encoding."""
    warp, overlap = t[f"warp_{d}"], t[f"overlap_{d}"]
    if warp.dtype == np.uint16:
        warp = warp.astype(np.float32) / np.float32(32767.5) - np.float32(1)
    if overlap.dtype == np.uint16:
        overlap = overlap.astype(np.float32) / np.float32(65535)
    if f"precision_{d}" in t and f"precision_cholesky_{d}" in t:
        raise ValueError(f"has both precision_{d} and precision_cholesky_{d}")
    if f"precision_cholesky_{d}" in t:
        L = t[f"precision_cholesky_{d}"].astype(np.float32)
        if L.shape[-1:] != (3,):
            raise ValueError(f"precision_cholesky_{d} has shape {L.shape}, expected (H, W, 3)")
        l00, l10, l11 = L[..., 0], L[..., 1], L[..., 2]
        off = l00 * l10
        precision = np.stack([l00 * l00, off, off, l10 * l10 + l11 * l11], axis=-1).reshape(L.shape[:-1] + (2, 2))
    elif f"precision_{d}" in t:
        precision = t[f"precision_{d}"]
    else:
        raise ValueError(f"missing precision_{d} (or precision_cholesky_{d})")
    return {f"warp_{d}": warp, f"overlap_{d}": overlap, f"precision_{d}": precision}


def load(path):
    """The warp's tensors as float32 (compact codes decoded) and its metadata."""
    meta = safe_open(path, "np").metadata() or {}
    if meta.get("schema") != "roma.warp/3":
        raise ValueError(f"schema is {meta.get('schema')!r}, not roma.warp/3")
    t = load_file(path)
    out = decode(t, "ab")
    if "warp_ba" in t:
        out.update(decode(t, "ba"))
    return out, meta


def check(path):
    try:
        t, meta = load(path)
    except (ValueError, KeyError) as e:
        return str(e)
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
    stored = load_file(path)
    for name, value in sorted(stored.items()):
        print(f"{name:22s} {str(value.dtype):8s} {value.shape}")
    print("metadata:", {k: v for k, v in meta.items() if k != "inputs"})
    return None


if __name__ == "__main__":
    problem = check(sys.argv[1])
    if problem:
        sys.exit(f"{sys.argv[1]}: {problem}")
    print(f"{sys.argv[1]}: a valid roma.warp/3")
